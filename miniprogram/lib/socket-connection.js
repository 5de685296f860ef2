/**
 * One SocketTask and its heartbeat. It reports its end exactly once (`dead`), whatever ended
 * it: a close or error event, a failed send, a connect timeout, or pongs that stopped coming
 * (iOS often kills a backgrounded socket without any event). After that it is inert, and its
 * task is closed so it never counts against the platform's 5-socket limit.
 *
 * Owned by ChatClient; not meant to be used on its own. `handlers.frame` gets each parsed
 * frame, typed {import('./frames.js').ServerFrame}.
 */
function SocketConnection(wxApi, options, handlers) {
  this.wx = wxApi
  this.options = options
  this.handlers = handlers
  this.task = null
  this.opened = false
  this.dead = false
  this.missed = 0
  this.pingTimer = null
  this.pongTimer = null
  this.connectTimer = null
}

SocketConnection.prototype.open = function () {
  var self = this
  var fail = function (res) {
    self.die('connect_failed', 0, res && res.errMsg)
  }
  try {
    this.task = this.wx.connectSocket({
      url: this.options.url,
      timeout: this.options.connectTimeout,
      perMessageDeflate: this.options.perMessageDeflate,
      fail: fail,
    })
  } catch (error) {
    return this.die('connect_failed', 0, String(error))
  }
  // the `timeout` option needs base library 2.10.0: keep our own deadline as well
  this.connectTimer = setTimeout(function () {
    if (!self.opened) self.die('connect_timeout', 0, '')
  }, this.options.connectTimeout)
  this.task.onOpen(function () {
    if (self.dead) return
    self.opened = true
    clearTimeout(self.connectTimer)
    self.schedulePing()
    self.handlers.open()
  })
  this.task.onMessage(function (res) {
    if (self.dead) return
    self.alive()
    var frame
    try {
      frame = JSON.parse(typeof res.data === 'string' ? res.data : '')
    } catch (error) {
      return
    }
    if (frame && typeof frame.type === 'string') self.handlers.frame(frame)
  })
  this.task.onClose(function (res) {
    self.die('closed', res && res.code, res && res.reason)
  })
  this.task.onError(function (res) {
    self.die('error', 0, res && res.errMsg)
  })
}

/** Writes a message; false when this socket cannot take it (then it was not sent). */
SocketConnection.prototype.send = function (message) {
  if (this.dead || !this.opened) return false
  var self = this
  this.task.send({
    data: JSON.stringify(message),
    fail: function (res) {
      self.die('send_failed', 0, res && res.errMsg)
    },
  })
  return true
}

/** Any frame proves the socket alive: a stream of deltas needs no pings. */
SocketConnection.prototype.alive = function () {
  this.missed = 0
  clearTimeout(this.pongTimer)
  this.pongTimer = null
  this.schedulePing()
}

SocketConnection.prototype.schedulePing = function () {
  var self = this
  clearTimeout(this.pingTimer)
  this.pingTimer = setTimeout(function () {
    self.ping()
  }, this.options.heartbeat.interval)
}

SocketConnection.prototype.ping = function () {
  var self = this
  if (this.dead || this.pongTimer) return
  this.send({ type: 'ping' })
  this.pongTimer = setTimeout(function () {
    self.pongTimer = null
    self.missed++
    if (self.missed >= self.options.heartbeat.maxMissed) return self.die('heartbeat', 0, 'no pong')
    self.ping()
  }, this.options.heartbeat.pongTimeout)
}

/** "Are you there?" after a hint that the socket may be gone: one unanswered ping kills it. */
SocketConnection.prototype.probe = function () {
  if (this.dead || !this.opened) return
  this.missed = Math.max(this.missed, this.options.heartbeat.maxMissed - 1)
  this.ping()
}

/** Closed by its owner: no `dead` report. */
SocketConnection.prototype.close = function () {
  this.stop()
}

SocketConnection.prototype.die = function (reason, code, detail) {
  if (this.dead) return
  this.stop()
  this.handlers.dead({ reason: reason, code: code || 0, detail: detail || '' })
}

SocketConnection.prototype.stop = function () {
  if (this.dead) return
  this.dead = true
  clearTimeout(this.pingTimer)
  clearTimeout(this.pongTimer)
  clearTimeout(this.connectTimer)
  if (this.task) {
    try {
      this.task.close({ code: 1000, reason: 'client closing', fail: function () {} })
    } catch (error) {
      // already closed: nothing to release
    }
  }
}

module.exports = { SocketConnection: SocketConnection }

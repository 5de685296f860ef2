/**
 * ChatClient, part 4 of 4: the app going to the background and coming back. The platform
 * suspends a backgrounded mini-program after ~5 s and its sockets die, often without a close
 * event (iOS fires at most the global wx.onSocketClose). Methods of ChatClient.prototype.
 */

exports.watchApp = function () {
  if (this.watching) return
  var self = this
  var wxApi = this.wx
  this.watching = {
    show: function () {
      self.onAppShow()
    },
    hide: function () {
      self.onAppHide()
    },
    socketClose: function () {
      // maybe ours, maybe another socket of the app: ask ours
      if (self.conn) self.conn.probe()
    },
  }
  if (this.options.watchApp && wxApi.onAppShow && wxApi.onAppHide) {
    wxApi.onAppShow(this.watching.show)
    wxApi.onAppHide(this.watching.hide)
  }
  if (this.options.watchGlobalSocketClose && wxApi.onSocketClose) wxApi.onSocketClose(this.watching.socketClose)
}

exports.unwatchApp = function () {
  if (!this.watching) return
  if (this.wx.offAppShow) this.wx.offAppShow(this.watching.show)
  if (this.wx.offAppHide) this.wx.offAppHide(this.watching.hide)
  // wx.onSocketClose has no off: the listener stays, and does nothing without a socket
  this.watching = null
}

exports.onAppHide = function () {
  this.hiddenAt = Date.now()
}

exports.onAppShow = function () {
  var away = this.hiddenAt ? Date.now() - this.hiddenAt : 0
  this.hiddenAt = 0
  if (this.state === 'idle' || this.state === 'stopped') return
  // suspended long enough for the platform to have killed the socket: don't wait to find out
  if (this.state === 'waiting' || away >= this.options.suspendAfter) return this.reconnectNow()
  if (this.conn) this.conn.probe()
}

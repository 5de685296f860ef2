/**
 * ChatClient, part 2 of 4: logging in on every (re)connect, and picking up the answer that
 * was in flight when the socket dropped (protocol §2.2, §3.4). Methods of ChatClient.prototype.
 *
 * @typedef {import('./frames.js').LoginResponseFrame} LoginResponseFrame
 * @typedef {import('./frames.js').LoginData} LoginData
 * @typedef {import('./frames.js').PendingAnswer} PendingAnswer
 * @typedef {import('./frames.js').HistoryResponseFrame} HistoryResponseFrame
 */
var AnswerStream = require('./answer-stream.js').AnswerStream

exports.login = function () {
  var sessionId = this.wx.getStorageSync(this.options.storageKey)
  if (sessionId) return this.write({ msg: { type: 'login', session_id: sessionId, request_id: this.nextId('l') } })
  this.loginWithCode()
}

exports.loginWithCode = function () {
  var self = this
  var conn = this.conn
  this.wx.login({
    success: function (res) {
      if (self.conn !== conn) return
      if (res && res.code) return self.write({ msg: { type: 'login', code: res.code, request_id: self.nextId('l') } })
      self.loginFailed({ reason: 'login_failed', code: 0, message: (res && res.errMsg) || '' })
    },
    fail: function (res) {
      if (self.conn === conn) self.loginFailed({ reason: 'login_failed', code: 0, message: (res && res.errMsg) || '' })
    },
  })
}

/** @param {LoginResponseFrame} frame  data is LoginData when code is 0, else ErrorData */
exports.onLoginResponse = function (frame) {
  var data = frame.data || {}
  if (frame.code === 0) {
    this.wx.setStorageSync(this.options.storageKey, data.session_id)
    this.session = { openid: data.openid, sessionId: data.session_id }
    this.attempt = 0
    this.codeRetries = 0
    this.setState('ready')
    this.emit('ready', { openid: data.openid, sessionId: data.session_id })
    this.afterLogin(data.pending_answer)
    return this.flush()
  }
  var reason = data.reason || ''
  if (reason === 'session_expired') {
    this.wx.removeStorageSync(this.options.storageKey)
    return this.loginWithCode()
  }
  if ((reason === 'wechat_code_invalid' || reason === 'wechat_code_used') && this.codeRetries < 1) {
    this.codeRetries++
    return this.loginWithCode()
  }
  this.loginFailed({ reason: reason, code: frame.code, message: frame.message })
}

/** Rate limits, WeChat outages…: say so, then try again later with backoff. */
exports.loginFailed = function (error) {
  this.emitError(error)
  this.detach()
  this.scheduleReconnect({ reason: 'login_failed', code: error.code })
}

/**
 * Back after a drop: pick up the answer that was in flight (protocol §3.4).
 * @param {PendingAnswer} [pending]  login_response.data.pending_answer
 */
exports.afterLogin = function (pending) {
  var answer = this.current
  if (answer && !answer.done) {
    if (!answer.id && pending) answer.started(pending.id)
    // Still running or finished meanwhile: `resume` replays the missing deltas, or sends the
    // stored chat_response. Either way nothing is lost and nothing comes twice.
    if (answer.id) return this.resume(answer)
    if (answer.sentGen !== null && !answer.reconciling) return this.reconcile(answer)
    return // never sent (it is in the queue), or already being reconciled
  }
  if (pending && (!answer || answer.id !== pending.id)) {
    // an answer this client did not start (the app restarted mid-answer): show it too
    var adopted = new AnswerStream(this.nextId('a'), '')
    adopted.rid = this.nextId('c')
    adopted.sentGen = this.gen
    adopted.started(pending.id)
    adopted.adopted = true
    this.current = adopted
    this.emitAnswer(adopted)
    this.resume(adopted)
  }
}

exports.resume = function (answer) {
  answer.resumeFrom = answer.nextIndex
  this.write({ msg: { type: 'resume', id: answer.id, from_index: answer.nextIndex, request_id: answer.rid } })
}

/**
 * The chat went out on a socket that died before chat_processing came back, and the server
 * has no answer running: it either never got the question (send it again) or answered it
 * already (take the answer from history). The question is stored before the model is called.
 */
exports.reconcile = function (answer) {
  var self = this
  answer.reconciling = true
  this.request({ type: 'history', limit: 6 }).then(
    /** @param {HistoryResponseFrame} frame */
    function (frame) {
      answer.reconciling = false
      if (answer.done || answer.id) return
      var messages = (frame.data && frame.data.messages) || []
      var u = messages.length - 1
      while (u >= 0 && messages[u].role !== 'user') u--
      var asked = u >= 0 && messages[u].content === answer.query && messages[u].created_at >= answer.createdAt - 600000
      if (!asked) {
        answer.sentGen = null
        return self.sendChat(answer)
      }
      var reply = messages[u + 1]
      if (reply && reply.role === 'assistant') {
        var ok = reply.status !== 'failed'
        answer.finish({ code: ok ? 0 : 502, message: '', data: { id: reply.id, msg: reply.content, status: reply.status, sources: reply.sources, reason: ok ? undefined : 'model_error' } })
      } else answer.fail(self.errorOf({ reason: 'stream_interrupted' }))
      self.emitAnswer(answer)
    },
    function () {
      // no history either: the next reconnect tries again
      answer.reconciling = false
    }
  )
}

/** The session ended under us (expired, or the server forgot it): log in again, then resend. */
exports.relogin = function (reason) {
  if (this.state !== 'ready') return
  if (reason === 'session_expired') this.wx.removeStorageSync(this.options.storageKey)
  this.setState('authenticating')
  this.login()
}


/**
 * The fallback for clients that cannot hold a WebSocket: `POST /wechat/chat` with
 * `stream: true`, read with wx.request({ enableChunked: true }) (base library ≥ 2.20.2).
 *
 * The response is the same frames as the socket, as an event stream (protocol §7). Chunk
 * boundaries have nothing to do with event boundaries and may split a Chinese character, and
 * phones have no TextDecoder: bytes go through our own UTF-8 decoder, then the SSE parser.
 * Where onChunkReceived never fires (reported on the PC client), the whole body arrives in
 * `success` and is parsed there. Caveats: wx.request may be capped at 60 s, and a dropped
 * request cannot be resumed (hanging up cancels the answer on the server) — prefer the socket.
 *
 * Same surface as ChatClient (start, stop, on, chat, cancel, history, clear, listConversations,
 * openConversation, deleteConversation, rate) so a page can use either. history resolves []
 * and clear rejects (kept as they were); conversations and ratings use their HTTP routes
 * (http-conversations.js). No `suggestions` event: the event stream has none (protocol §3.10).
 *
 * @example
 * var chat = createHttpChatClient({ baseUrl: 'https://api.example.com' })
 * chat.on('answer', function (a) { console.log(a.text) })
 * chat.chat('你好')
 */
var Emitter = require('./emitter.js').Emitter
var AnswerStream = require('./answer-stream.js').AnswerStream
var createUtf8Decoder = require('./utf8-decoder.js').createUtf8Decoder
var createSseParser = require('./sse-parser.js').createSseParser
var toastText = require('./error-text.js').toastText

/** @typedef {import('./frames.js').ServerFrame} ServerFrame */

var DEFAULTS = {
  /** https://your-domain.com — must be a "request 合法域名" in production */
  baseUrl: '',
  /** shared with ChatClient: the same session_id works for both */
  storageKey: 'wag_session_id',
  useAutoRag: false,
  /** ms; WeChat may not allow more than 60 s for wx.request */
  timeout: 60000,
}

/** keep at most this much of a non-stream (error) body */
var MAX_BODY_CHARS = 65536

function HttpChatClient(options, wxApi) {
  Emitter.call(this)
  this.options = {}
  for (var key in DEFAULTS) this.options[key] = options && options[key] !== undefined ? options[key] : DEFAULTS[key]
  this.wx = wxApi || wx
  this.state = 'idle'
  this.current = null
  this.task = null
  this.seq = 0
  /** as ChatClient's: set only from what the server says */
  this.conversationId = null
}
HttpChatClient.prototype = Object.create(Emitter.prototype)
HttpChatClient.prototype.constructor = HttpChatClient

HttpChatClient.prototype.start = function () {
  if (this.state === 'ready') return
  this.state = 'ready'
  this.emit('state', { state: 'ready' })
}

HttpChatClient.prototype.stop = function () {
  if (this.task) this.task.abort()
  this.state = 'stopped'
  this.emit('state', { state: 'stopped' })
}

HttpChatClient.prototype.history = function () {
  return Promise.resolve([])
}

HttpChatClient.prototype.clear = function () {
  return Promise.reject({ reason: 'unknown_type', code: 400, message: 'HTTP 接口不支持 clear', text: 'HTTP 模式不支持新对话' })
}

// listConversations, openConversation, deleteConversation, rate: over their HTTP routes
Object.assign(HttpChatClient.prototype, require('./http-conversations.js'))

HttpChatClient.prototype.chat = function (query, options) {
  var text = String(query == null ? '' : query).trim()
  if (!text) return this.localError('empty_query')
  if (this.current && !this.current.done) return this.localError('chat_in_progress')
  this.start()
  this.seq++
  var answer = new AnswerStream('h' + this.seq, text)
  answer.useAutoRag = options && options.useAutoRag !== undefined ? Boolean(options.useAutoRag) : this.options.useAutoRag
  answer.conversationId = (options && options.conversationId) || this.conversationId
  this.current = answer
  this.emitAnswer(answer)
  this.ask(answer, false)
  return answer.snapshot()
}

/** Hanging up makes the server cancel the answer (its partial text is stored as cancelled). */
HttpChatClient.prototype.cancel = function () {
  var answer = this.current
  if (!answer || answer.done) return Promise.resolve(false)
  answer.cancelled = true
  if (this.task) this.task.abort()
  if (answer.fail(null, 'cancelled')) this.emitAnswer(answer)
  return Promise.resolve(true)
}

HttpChatClient.prototype.ask = function (answer, retried) {
  var self = this
  this.session(function (error, sessionId) {
    if (answer.done) return
    if (error) return self.end(answer, error)
    self.post(answer, sessionId, retried)
  })
}

/** The stored session_id, or a new one from POST /wechat/login with a wx.login code. */
HttpChatClient.prototype.session = function (callback) {
  var self = this
  var stored = this.wx.getStorageSync(this.options.storageKey)
  if (stored) return callback(null, stored)
  this.wx.login({
    success: function (res) {
      self.wx.request({
        url: self.options.baseUrl + '/wechat/login',
        method: 'POST',
        data: { code: res.code },
        timeout: self.options.timeout,
        success: function (reply) {
          var body = reply.data || {}
          if (body.code === 0 && body.data && body.data.session_id) {
            self.wx.setStorageSync(self.options.storageKey, body.data.session_id)
            return callback(null, body.data.session_id)
          }
          callback({ code: body.code || reply.statusCode, reason: (body.data && body.data.reason) || 'login_failed', message: body.message || '' })
        },
        fail: function (res) {
          callback({ code: 0, reason: 'network_error', message: res.errMsg })
        },
      })
    },
    fail: function (res) {
      callback({ code: 0, reason: 'login_failed', message: res.errMsg })
    },
  })
}

HttpChatClient.prototype.post = function (answer, sessionId, retried) {
  var self = this
  var decoder = createUtf8Decoder()
  var body = ''
  var chunks = 0
  var parser = createSseParser(function (event) {
    var frame
    try {
      frame = JSON.parse(event.data)
    } catch (error) {
      return
    }
    self.apply(answer, frame)
  })
  var feed = function (data) {
    var text = typeof data === 'string' ? data : decoder.write(new Uint8Array(data))
    if (body.length < MAX_BODY_CHARS) body += text
    parser.push(text)
  }
  var task = this.wx.request({
    url: this.options.baseUrl + '/wechat/chat',
    method: 'POST',
    header: { Authorization: 'Bearer ' + sessionId },
    data: chatBody(answer),
    enableChunked: true,
    responseType: 'arraybuffer',
    timeout: this.options.timeout,
    success: function (res) {
      if (!chunks && res.data) feed(res.data)
      parser.push(decoder.end())
      parser.end()
      if (answer.done) return
      var error = parseError(body, res.statusCode)
      if (error && error.reason === 'session_expired' && !retried) {
        self.wx.removeStorageSync(self.options.storageKey)
        return self.ask(answer, true)
      }
      self.end(answer, error || { code: 0, reason: 'stream_interrupted', message: '' })
    },
    fail: function (res) {
      if (!answer.cancelled) self.end(answer, { code: 0, reason: 'network_error', message: res && res.errMsg })
    },
  })
  this.task = task
  if (task && task.onChunkReceived) {
    task.onChunkReceived(function (res) {
      chunks++
      feed(res.data)
    })
  }
}

/**
 * The socket's frames, from the stream: processing, deltas in index order, the response.
 * @param {ServerFrame} frame
 */
HttpChatClient.prototype.apply = function (answer, frame) {
  var data = frame.data || {}
  if (frame.type === 'chat_processing') answer.started(data.id)
  else if (frame.type === 'chat_progress') answer.progressed(data)
  else if (frame.type === 'chat_retract') {
    if (answer.retract(data)) this.emitAnswer(answer, { retracted: true })
    return
  } else if (frame.type === 'chat_delta') {
    if (answer.delta(data.index, data.delta) === 'applied') this.emitAnswer(answer, { delta: data.delta, index: data.index })
    return
  } else if (frame.type === 'chat_response') {
    if (typeof data.conversation_id === 'string' && data.conversation_id) this.conversationId = data.conversation_id
    if (answer.finish(frame)) this.emitAnswer(answer)
    return
  } else if (frame.type === 'error') return this.end(answer, frame)
  this.emitAnswer(answer)
}

HttpChatClient.prototype.end = function (answer, source) {
  var error = { code: source.code || 0, reason: source.reason || (source.data && source.data.reason) || '', message: source.message || '' }
  error.text = toastText(error)
  // deleted elsewhere: the next question starts a new conversation
  if (error.reason === 'conversation_not_found' && answer.conversationId === this.conversationId) this.conversationId = null
  if (answer.fail(error)) this.emitAnswer(answer)
}

function chatBody(answer) {
  var body = { query: answer.query, use_auto_rag: answer.useAutoRag, stream: true }
  if (answer.conversationId) body.conversation_id = answer.conversationId
  return body
}

HttpChatClient.prototype.emitAnswer = function (answer, extra) {
  this.emit('answer', answer.snapshot(extra))
}

HttpChatClient.prototype.localError = function (reason) {
  this.emit('error', { reason: reason, code: 0, message: '', text: toastText({ reason: reason }) })
  return null
}

/** A non-stream reply (401, 400, 503…) is one JSON envelope: {code, message, data: {reason}}. */
function parseError(body, status) {
  if (status >= 200 && status < 300) return null
  try {
    var json = JSON.parse(body)
    return { code: json.code || status, reason: (json.data && json.data.reason) || '', message: json.message || '' }
  } catch (error) {
    return { code: status, reason: '', message: 'HTTP ' + status }
  }
}

function createHttpChatClient(options, wxApi) {
  return new HttpChatClient(options, wxApi)
}

module.exports = { HttpChatClient: HttpChatClient, createHttpChatClient: createHttpChatClient }

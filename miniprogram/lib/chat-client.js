/**
 * The gateway's WebSocket client for mini-programs: one per app (keep it on getApp(), never in
 * page data), shared by every page.
 *
 * What it does for you (docs/protocol.md §8):
 * - one socket at a time; logs in with the stored session_id, or wx.login() when there is none
 *   or it expired, so a reconnect does not spend a new code (single-use, rate-limited);
 * - reconnects with exponential backoff + jitter; replaces the socket when the app comes back
 *   after the platform suspended it; a heartbeat finds sockets that died without a close event;
 * - queues what you send while reconnecting and sends it once logged in again;
 * - delivers each answer complete and exactly once across drops: after a reconnect it sends
 *   `resume` {id, from_index} and applies deltas strictly by index (see answer-stream.js).
 *
 * Events (`client.on(name, fn)` returns an unsubscribe function):
 * - `state`  {state: 'connecting'|'authenticating'|'ready'|'waiting'|'stopped', delay?, attempt?}
 * - `ready`  {openid, sessionId}
 * - `answer` an answer snapshot {localId, id, query, text, status, done, sources, error, progress,
 *            delta?, index?, retracted?} — `progress` is the latest chat_progress ({stage: 'searching', query});
 *            after a chat_retract `text` is the notice and `status` 'retracted': render `text` as is
 * - `transcript` {localId, id, text} — a voice question's recognized text (chat(…, {audio}))
 * - `error`  {reason, code, message, text} — `text` is a Chinese toast (error-text.js)
 * - `frame`  {direction: 'in'|'out', frame} — every frame, for debugging
 *
 * @example
 * var chat = createChatClient({ url: 'wss://api.example.com/wechat/ws' })
 * chat.on('answer', function (a) { console.log(a.text) })
 * chat.start()
 * chat.chat('你好')
 */
var Emitter = require('./emitter.js').Emitter
var mergeOptions = require('./client-options.js').mergeOptions
var backoffDelay = require('./backoff.js').backoffDelay
var answerStream = require('./answer-stream.js')
var AnswerStream = answerStream.AnswerStream
var SocketConnection = require('./socket-connection.js').SocketConnection
var toastText = require('./error-text.js').toastText

/** protocol §3.1: MAX_QUERY_CHARS default */
var MAX_QUERY_CHARS = 2000

/** Part 1 of 4: state, lifecycle, reconnect policy and the public API. */
function ChatClient(options, wxApi) {
  Emitter.call(this)
  this.options = mergeOptions(options)
  this.wx = wxApi || wx
  this.state = 'idle'
  this.conn = null
  /** counts sockets opened, so a chat knows which socket it went out on */
  this.gen = 0
  this.attempt = 0
  this.retryTimer = null
  /** unsent messages: [{msg, request?, answer?}] */
  this.queue = []
  /** request_id → request awaiting its reply */
  this.inflight = {}
  /** the answer in flight (the server allows one per session) */
  this.current = null
  this.session = null
  this.seq = 0
  /** makes chat request_ids unique across page loads: the server treats a repeated id + question as a retry */
  this.tag = Date.now().toString(36) + Math.random().toString(36).slice(2, 6)
  this.codeRetries = 0
  this.hiddenAt = 0
  this.watching = null
  /** the conversation chat() continues; set only from what the server says (client-conversations.js) */
  this.conversationId = null
}
ChatClient.prototype = Object.create(Emitter.prototype)
ChatClient.prototype.constructor = ChatClient

// The rest of the prototype, one concern per file: login and picking up an answer after a
// reconnect; frames in and out (queue, request/reply, answers); conversations, ratings and
// suggestions; the app's show/hide events.
var conversations = require('./client-conversations.js')
Object.assign(ChatClient.prototype, require('./client-session.js'), require('./client-frames.js'), conversations, require('./client-app-lifecycle.js'))

// ------------------------------------------------------------------ lifecycle

ChatClient.prototype.start = function () {
  if (this.state !== 'idle' && this.state !== 'stopped') return
  this.watchApp()
  this.connect()
}

/** Closes the socket and stops reconnecting. An answer in flight keeps going on the server. */
ChatClient.prototype.stop = function () {
  this.setState('stopped')
  clearTimeout(this.retryTimer)
  if (this.conn) this.conn.close()
  this.conn = null
  var stopped = this.errorOf({ reason: 'client_stopped' })
  for (var rid in this.inflight) this.settleRequest(rid, null, stopped)
  var self = this
  this.queue.forEach(function (item) {
    if (item.request) item.request.reject(stopped)
    // a question the server never saw ends here; one it did see is resumed by the next start()
    if (item.answer && item.answer.fail(stopped)) self.emitAnswer(item.answer)
  })
  this.queue = []
  this.unwatchApp()
}

ChatClient.prototype.connect = function () {
  clearTimeout(this.retryTimer)
  if (this.conn || this.state === 'stopped') return
  var self = this
  this.gen++
  this.setState('connecting')
  var conn = new SocketConnection(this.wx, this.options, {
    open: function () {
      if (self.conn !== conn) return
      self.setState('authenticating')
      self.login()
    },
    frame: function (frame) {
      if (self.conn !== conn) return
      if (self.options.debug) console.debug('[wag] ←', frame)
      self.emit('frame', { direction: 'in', frame: frame })
      self.handle(frame)
    },
    dead: function (info) {
      if (self.conn !== conn) return
      self.detach()
      self.scheduleReconnect(info)
    },
  })
  this.conn = conn
  conn.open()
}

/** Forgets the socket; requests it did not answer go back to the queue (all are safe to repeat). */
ChatClient.prototype.detach = function () {
  if (this.conn) this.conn.close()
  this.conn = null
  var pending = []
  for (var rid in this.inflight) {
    var request = this.inflight[rid]
    clearTimeout(request.timer)
    pending.push(request)
  }
  this.inflight = {}
  pending.sort(function (a, b) {
    return a.seq - b.seq
  })
  this.queue = pending.map(function (request) {
    return { msg: request.msg, request: request }
  }).concat(this.queue)
}

ChatClient.prototype.scheduleReconnect = function (info) {
  if (this.state === 'stopped') return
  var self = this
  var delay = backoffDelay(this.attempt, this.options.reconnect)
  this.attempt++
  this.setState('waiting', { delay: delay, attempt: this.attempt, reason: info.reason, code: info.code })
  this.retryTimer = setTimeout(function () {
    self.connect()
  }, delay)
}

/** Replace the socket at once (app back from the background, network back). */
ChatClient.prototype.reconnectNow = function () {
  if (this.state === 'stopped' || this.state === 'idle') return
  this.detach()
  this.attempt = 0
  this.connect()
}

ChatClient.prototype.setState = function (state, extra) {
  this.state = state
  var event = { state: state }
  if (extra) for (var key in extra) event[key] = extra[key]
  this.emit('state', event)
}

// ------------------------------------------------------------------ public API

/**
 * Asks a question. Returns the answer's first snapshot, or null when refused locally (empty,
 * too long, an answer still in flight) — an `error` event says why.
 */
ChatClient.prototype.chat = function (query, options) {
  var text = String(query == null ? '' : query).trim()
  var audio = options && options.audio // a voice question (lib/media-client.js): no text until chat_transcript
  if (!text && !audio) return this.localError('empty_query')
  if (text.length > MAX_QUERY_CHARS) return this.localError('query_too_long')
  if (this.current && !this.current.done) return this.localError('chat_in_progress')
  if (this.state === 'idle' || this.state === 'stopped') this.start()
  var answer = new AnswerStream(this.nextId('a'), text)
  answer.rid = this.nextId('c') + '-' + this.tag
  answer.sentGen = null
  answer.createdAt = Date.now()
  answer.useAutoRag = options && options.useAutoRag !== undefined ? Boolean(options.useAutoRag) : this.options.useAutoRag
  answer.conversationId = (options && options.conversationId) || this.conversationId
  if (options && options.images && options.images.length) answer.images = options.images.slice()
  if (audio) answer.audio = audio
  this.current = answer
  this.sendChat(answer)
  this.emitAnswer(answer)
  return answer.snapshot()
}

ChatClient.prototype.sendChat = function (answer) {
  this.enqueue({ msg: this.chatMessage(answer), answer: answer })
}

/** Stops the answer in flight. Resolves true if there was one. */
ChatClient.prototype.cancel = function () {
  var answer = this.current
  if (!answer || answer.done) return Promise.resolve(false)
  if (answer.sentGen === null && !answer.id) {
    // still in our queue: the server never saw it
    this.queue = this.queue.filter(function (item) {
      return item.answer !== answer
    })
    answer.fail(null, 'cancelled')
    this.emitAnswer(answer)
    return Promise.resolve(true)
  }
  var msg = { type: 'cancel' }
  if (answer.id) msg.id = answer.id
  return this.request(msg).then(
    /** @param {import('./frames.js').CancelResponseFrame} frame */
    function (frame) {
      return Boolean(frame.data && frame.data.cancelled)
    }
  )
}

/**
 * The current conversation, oldest first (protocol §3.5). Answers that cited the knowledge
 * base keep their `sources`, in the same shape as a live answer's, so a page shows them alike.
 * @returns {Promise<import('./frames.js').HistoryMessage[]>}
 */
ChatClient.prototype.history = function (limit) {
  var msg = { type: 'history' }
  if (limit) msg.limit = limit
  var self = this
  return this.request(msg).then(
    /** @param {import('./frames.js').HistoryResponseFrame} frame */
    function (frame) {
      self.noteConversation(frame.data)
      return conversations.historyMessages(frame.data || {})
    }
  )
}

/** Starts a new conversation (protocol §3.6); the old one stays in listConversations(). */
ChatClient.prototype.clear = function () {
  var self = this
  return this.request({ type: 'clear' }).then(function () {
    self.conversationId = null
    return true
  })
}

/** Sends any message and resolves with the reply carrying its request_id (rejects on code ≠ 0). */
ChatClient.prototype.request = function (msg) {
  var self = this
  return new Promise(function (resolve, reject) {
    if (self.state === 'stopped') return reject(self.errorOf({ reason: 'client_stopped' }))
    if (self.state === 'idle') self.start()
    var rid = self.nextId('r')
    msg.request_id = rid
    var request = { rid: rid, msg: msg, resolve: resolve, reject: reject, timer: null, seq: self.seq }
    self.enqueue({ msg: msg, request: request })
  })
}


// ------------------------------------------------------------------ helpers

ChatClient.prototype.emitAnswer = function (answer, extra) {
  this.emit('answer', answer.snapshot(extra))
}

ChatClient.prototype.errorOf = function (source) {
  var reason = source.reason || (source.data && source.data.reason) || ''
  var error = { reason: reason, code: source.code || 0, message: source.message || '' }
  error.text = toastText(error)
  return error
}

ChatClient.prototype.emitError = function (source) {
  this.emit('error', this.errorOf(source))
}

ChatClient.prototype.localError = function (reason) {
  this.emitError({ reason: reason })
  return null
}

ChatClient.prototype.nextId = function (prefix) {
  this.seq++
  return prefix + this.seq
}

function createChatClient(options, wxApi) {
  return new ChatClient(options, wxApi)
}

module.exports = { ChatClient: ChatClient, createChatClient: createChatClient, MAX_QUERY_CHARS: MAX_QUERY_CHARS }

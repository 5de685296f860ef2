/**
 * ChatClient, part 3 of 4: frames out (the queue kept while reconnecting, request/reply by
 * request_id) and frames in (login, answers, replies, errors). Methods of ChatClient.prototype.
 * The frames' shapes: ./frames.js.
 *
 * @typedef {import('./frames.js').ServerFrame} ServerFrame
 * @typedef {import('./frames.js').ErrorFrame} ErrorFrame
 * @typedef {import('./frames.js').ChatProcessingFrame} ChatProcessingFrame
 * @typedef {import('./frames.js').ChatProgressFrame} ChatProgressFrame
 * @typedef {import('./frames.js').ChatDeltaFrame} ChatDeltaFrame
 * @typedef {import('./frames.js').ChatResponseFrame} ChatResponseFrame
 */

/** a request answered with these is re-sent after logging in again */
var RELOGIN_REASONS = { not_logged_in: true, session_expired: true }

exports.enqueue = function (item) {
  if (this.state === 'ready' && this.queue.length === 0 && this.write(item)) return
  if (this.queue.length >= this.options.queueLimit) {
    var error = this.errorOf({ reason: 'queue_full' })
    if (item.request) return item.request.reject(error)
    if (item.answer && item.answer.fail(error)) this.emitAnswer(item.answer)
    return this.emitError(error)
  }
  this.queue.push(item)
}

exports.flush = function () {
  while (this.queue.length && this.state === 'ready') {
    if (!this.write(this.queue[0])) return
    this.queue.shift()
  }
}

/** Puts one message on the socket. false = not sent (no socket): the caller keeps it. */
exports.write = function (item) {
  if (!this.conn || !this.conn.send(item.msg)) return false
  if (this.options.debug) console.debug('[wag] →', item.msg)
  this.emit('frame', { direction: 'out', frame: item.msg })
  if (item.answer) item.answer.sentGen = this.gen
  if (item.request) {
    var self = this
    var rid = item.request.rid
    this.inflight[rid] = item.request
    item.request.timer = setTimeout(function () {
      self.settleRequest(rid, null, self.errorOf({ reason: 'request_timeout' }))
    }, this.options.requestTimeout)
  }
  return true
}

/** @param {ServerFrame} frame */
exports.handle = function (frame) {
  switch (frame.type) {
    case 'login_response':
      return this.onLoginResponse(frame)
    case 'chat_processing':
      return this.onProcessing(frame)
    case 'chat_delta':
      return this.onDelta(frame)
    case 'chat_progress':
      return this.onProgress(frame)
    case 'chat_transcript':
      return this.onTranscript(frame)
    case 'chat_retract':
      return this.onRetract(frame)
    case 'chat_response':
      return this.onResponse(frame)
    case 'chat_suggestions':
      return this.onSuggestions(frame)
    case 'connected':
    case 'pong':
      return
  }
  var rid = frame.request_id
  if (rid !== undefined && this.inflight[rid]) return this.onReply(rid, frame)
  if (frame.type === 'error') return this.onError(frame)
}

/**
 * @param {string} rid
 * @param {ServerFrame} frame  any reply carrying a request_id of ours
 */
exports.onReply = function (rid, frame) {
  var reason = frame.data && frame.data.reason
  if (frame.code !== 0 && RELOGIN_REASONS[reason]) {
    var request = this.inflight[rid]
    clearTimeout(request.timer)
    delete this.inflight[rid]
    this.queue.unshift({ msg: request.msg, request: request })
    return this.relogin(reason)
  }
  if (frame.code === 0) this.settleRequest(rid, frame)
  else this.settleRequest(rid, null, this.errorOf(frame))
}

/**
 * @param {string} rid
 * @param {ServerFrame | null} frame  the reply (null with `error`)
 * @param {object} [error]
 */
exports.settleRequest = function (rid, frame, error) {
  var request = this.inflight[rid]
  if (!request) return
  clearTimeout(request.timer)
  delete this.inflight[rid]
  if (error) request.reject(error)
  else request.resolve(frame)
}

/** @param {ErrorFrame} frame */
exports.onError = function (frame) {
  var answer = this.current
  var reason = frame.data && frame.data.reason
  if (answer && !answer.done && frame.request_id !== undefined && frame.request_id === answer.rid) {
    if (RELOGIN_REASONS[reason]) {
      // a refused chat is asked again after login; a refused resume is simply retried by afterLogin
      if (!answer.id) {
        answer.sentGen = null
        this.queue.unshift({ msg: this.chatMessage(answer), answer: answer })
      }
      return this.relogin(reason)
    }
    // deleted elsewhere: the next question starts a new conversation instead of failing again
    if (reason === 'conversation_not_found' && answer.conversationId === this.conversationId) this.conversationId = null
    if (answer.fail(this.errorOf(frame))) this.emitAnswer(answer)
    return
  }
  this.emitError(frame)
}

/** The `chat` message for an answer (sent again, unchanged, after a re-login). */
exports.chatMessage = function (answer) {
  var msg = { type: 'chat', query: answer.query, use_auto_rag: answer.useAutoRag, stream: this.options.stream, request_id: answer.rid }
  if (answer.conversationId) msg.conversation_id = answer.conversationId
  if (answer.images) msg.images = answer.images
  // a voice question carries its recording until the transcript arrives (then it is a text question)
  if (answer.audio && !answer.transcript) {
    msg.audio = answer.audio
    delete msg.query
  }
  return msg
}

/** @param {ServerFrame} frame  chat_processing / chat_delta / chat_progress / chat_response / error */
exports.matches = function (answer, frame) {
  var id = frame.data && frame.data.id
  if (!answer || answer.done) return false
  if (answer.id) return id === answer.id
  return frame.request_id !== undefined && frame.request_id === answer.rid
}

/** @param {ChatProcessingFrame} frame */
exports.onProcessing = function (frame) {
  var answer = this.current
  if (!this.matches(answer, frame)) return
  answer.started(frame.data && frame.data.id)
  this.emitAnswer(answer)
}

/**
 * A voice question's text (before the answer): it becomes the question, as the server stored it.
 * @param {import('./frames.js').ChatTranscriptFrame} frame
 */
exports.onTranscript = function (frame) {
  var answer = this.current
  if (!this.matches(answer, frame) || !frame.data) return
  answer.transcript = answer.query = String(frame.data.text || '')
  this.emit('transcript', { localId: answer.localId, id: frame.data.id, text: answer.transcript })
}

/** @param {ChatProgressFrame} frame */
exports.onProgress = function (frame) {
  var answer = this.current
  if (this.matches(answer, frame) && answer.progressed(frame.data)) this.emitAnswer(answer)
}

/** @param {ChatDeltaFrame} frame */
exports.onDelta = function (frame) {
  var answer = this.current
  if (!this.matches(answer, frame)) return
  var data = frame.data
  answer.started(data.id)
  var result = answer.delta(data.index, data.delta)
  if (result === 'applied') return this.emitAnswer(answer, { delta: data.delta, index: data.index })
  // a hole in the indexes (only possible around a reconnect): ask for the rest once
  if (result === 'gap' && answer.resumeFrom !== answer.nextIndex) this.resume(answer)
}

/** @param {import('./frames.js').ChatRetractFrame} frame */
exports.onRetract = function (frame) {
  var answer = this.current
  if (this.matches(answer, frame) && answer.retract(frame.data)) this.emitAnswer(answer, { retracted: true })
}

/** @param {ChatResponseFrame} frame */
exports.onResponse = function (frame) {
  var answer = this.current
  // a second chat_response for an answer already shown (resume raced its end): ignore it
  if (!this.matches(answer, frame)) return
  this.noteConversation(frame.data)
  if (answer.finish(frame)) this.emitAnswer(answer)
}


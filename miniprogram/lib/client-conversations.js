/**
 * ChatClient, part 4 of 5: several conversations per user, ratings and suggested follow-ups
 * (protocol §3.7–3.9, chat_suggestions). Methods of ChatClient.prototype.
 *
 * `client.conversationId` is the conversation this client is in: it comes only from the server
 * (history_response / chat_response `conversation_id`), so a gateway older than conversations
 * never receives the field, and clients that never call these methods behave as before.
 * Requests an older gateway does not know end with an error `feature_unsupported`
 * (the server said `unknown_type`) instead of hanging.
 *
 * @typedef {import('./frames.js').ConversationsResponseFrame} ConversationsResponseFrame
 * @typedef {import('./frames.js').HistoryResponseFrame} HistoryResponseFrame
 * @typedef {import('./frames.js').FeedbackResponseFrame} FeedbackResponseFrame
 * @typedef {import('./frames.js').ChatSuggestionsFrame} ChatSuggestionsFrame
 */
var normalizeSources = require('./answer-stream.js').normalizeSources

/** protocol §3.9: a rating's comment is at most 500 characters */
var MAX_COMMENT_CHARS = 500
var RATINGS = { up: true, down: true }

/** a request the server does not know: say "not supported", not "upgrade the mini-program" */
function unsupported(client) {
  return function (error) {
    throw error && error.reason === 'unknown_type' ? client.errorOf({ reason: 'feature_unsupported', code: error.code }) : error
  }
}

/**
 * The user's conversations, newest first (protocol §3.7).
 * @param {{limit?: number, before?: string}} [options]  `before`: the previous page's `nextCursor`
 * @returns {Promise<{conversations: Array<{conversation_id: string, title: string, updated_at: number, message_count: number}>, nextCursor: string | null}>}
 */
exports.listConversations = function (options) {
  var msg = { type: 'conversations' }
  if (options && options.limit) msg.limit = options.limit
  if (options && options.before) msg.before = options.before
  return this.request(msg).then(
    /** @param {ConversationsResponseFrame} frame */
    function (frame) {
      var data = frame.data || {}
      var list = Array.isArray(data.conversations) ? data.conversations : []
      return { conversations: list, nextCursor: typeof data.next_cursor === 'string' ? data.next_cursor : null }
    },
    unsupported(this)
  )
}

/**
 * Reads a conversation and makes it the one the next `chat()` continues (protocol §3.5, §3.7).
 * @param {string} conversationId
 * @param {number} [limit]  most recent messages (1–200, server default 40)
 * @returns {Promise<{conversationId: string, messages: import('./frames.js').HistoryMessage[]}>}
 */
exports.openConversation = function (conversationId, limit) {
  var self = this
  if (typeof conversationId !== 'string' || !conversationId) return Promise.reject(this.errorOf({ reason: 'conversation_not_found', code: 404 }))
  var msg = { type: 'history', conversation_id: conversationId }
  if (limit) msg.limit = limit
  return this.request(msg).then(
    /** @param {HistoryResponseFrame} frame */
    function (frame) {
      var data = frame.data || {}
      // a gateway without conversations ignores the field and answers with the current one
      if (data.conversation_id !== conversationId) throw self.errorOf({ reason: 'feature_unsupported' })
      self.conversationId = conversationId
      return { conversationId: conversationId, messages: historyMessages(data) }
    },
    unsupported(this)
  )
}

/**
 * Deletes a conversation for good, with its ratings (protocol §3.8). Deleting the one this
 * client is in means the next question starts a new one.
 * @param {string} conversationId
 * @returns {Promise<true>}
 */
exports.deleteConversation = function (conversationId) {
  var self = this
  if (typeof conversationId !== 'string' || !conversationId) return Promise.reject(this.errorOf({ reason: 'conversation_not_found', code: 404 }))
  return this.request({ type: 'delete_conversation', conversation_id: conversationId }).then(function () {
    if (self.conversationId === conversationId) self.conversationId = null
    return true
  }, unsupported(this))
}

/**
 * Rates an answer 'up' or 'down', with an optional comment; rating again replaces it (§3.9).
 * @param {string} answerId  the answer snapshot's `id`, or a history message's `id`
 * @param {'up' | 'down'} rating
 * @param {string} [comment]  at most 500 characters
 * @returns {Promise<{id: string, rating: 'up' | 'down'}>}
 */
exports.rate = function (answerId, rating, comment) {
  if (typeof answerId !== 'string' || !answerId) return Promise.reject(this.errorOf({ reason: 'answer_not_found', code: 404 }))
  if (!RATINGS[rating]) return Promise.reject(this.errorOf({ reason: 'bad_rating', code: 400 }))
  var msg = { type: 'feedback', id: answerId, rating: rating }
  if (comment != null && String(comment).trim()) {
    msg.comment = String(comment).trim()
    if (msg.comment.length > MAX_COMMENT_CHARS) return Promise.reject(this.errorOf({ reason: 'comment_too_long', code: 400 }))
  }
  return this.request(msg).then(
    /** @param {FeedbackResponseFrame} frame */
    function (frame) {
      var data = frame.data || {}
      return { id: data.id || answerId, rating: data.rating || rating }
    },
    unsupported(this)
  )
}

/** history_response's messages with their sources in the same shape as a live answer's */
function historyMessages(data) {
  var messages = Array.isArray(data.messages) ? data.messages : []
  messages.forEach(function (m) {
    if (m.sources) m.sources = normalizeSources(m.sources)
  })
  return messages
}
exports.historyMessages = historyMessages

/**
 * chat_suggestions: follow-up questions for an answer, after its chat_response. Emitted as the
 * `suggestions` event {id, localId, suggestions}; `localId` is set when it is this client's
 * latest answer (a page shows chips only under that one).
 * @param {ChatSuggestionsFrame} frame
 */
exports.onSuggestions = function (frame) {
  var data = frame.data || {}
  if (typeof data.id !== 'string' || !Array.isArray(data.suggestions)) return
  var list = data.suggestions.filter(function (s) {
    return typeof s === 'string' && s.trim() !== ''
  })
  if (!list.length) return
  var answer = this.current
  var localId = answer && answer.id === data.id ? answer.localId : null
  this.emit('suggestions', { id: data.id, localId: localId, suggestions: list.slice(0, 5) })
}

/** The server says where a question went: keep asking there (an old gateway never says). */
exports.noteConversation = function (data) {
  if (data && typeof data.conversation_id === 'string' && data.conversation_id) this.conversationId = data.conversation_id
}

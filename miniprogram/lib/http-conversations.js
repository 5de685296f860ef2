/**
 * HttpChatClient's conversation list and ratings over the HTTP twins of the socket's requests
 * (protocol §7 “对话与评价”): GET /wechat/conversations, GET /wechat/history?conversation_id=,
 * DELETE /wechat/conversations/:id, POST /wechat/feedback. Same promises and errors as
 * ChatClient's (client-conversations.js). Methods of HttpChatClient.prototype.
 * A gateway from before these routes answers 404 `not_found`: that ends as `feature_unsupported`.
 */
var toastText = require('./error-text.js').toastText
var historyMessages = require('./client-conversations.js').historyMessages

/** protocol §3.9 */
var MAX_COMMENT_CHARS = 500

function failure(reason, code, message) {
  var error = { reason: reason, code: code || 0, message: message || '' }
  error.text = toastText(error)
  return error
}

/**
 * One JSON request with the stored session (Bearer); an expired session logs in again once.
 * Resolves the envelope's `data`.
 */
exports.api = function (method, path, data, retried) {
  var self = this
  return new Promise(function (resolve, reject) {
    self.session(function (error, sessionId) {
      if (error) return reject(failure(error.reason, error.code, error.message))
      self.wx.request({
        url: self.options.baseUrl + path,
        method: method,
        header: { Authorization: 'Bearer ' + sessionId },
        data: data,
        timeout: self.options.timeout,
        success: function (res) {
          var body = res.data && typeof res.data === 'object' ? res.data : {}
          var reason = (body.data && body.data.reason) || ''
          if (res.statusCode >= 200 && res.statusCode < 300 && body.code === 0) return resolve(body.data || {})
          if (reason === 'session_expired' && !retried) {
            self.wx.removeStorageSync(self.options.storageKey)
            return resolve(self.api(method, path, data, true))
          }
          if (reason === 'not_found') return reject(failure('feature_unsupported', res.statusCode))
          reject(failure(reason, body.code || res.statusCode, body.message))
        },
        fail: function (res) {
          reject(failure('network_error', 0, res && res.errMsg))
        },
      })
    })
  })
}

exports.listConversations = function (options) {
  var query = []
  if (options && options.limit) query.push('limit=' + encodeURIComponent(options.limit))
  if (options && options.before) query.push('before=' + encodeURIComponent(options.before))
  return this.api('GET', '/wechat/conversations' + (query.length ? '?' + query.join('&') : '')).then(function (data) {
    return { conversations: Array.isArray(data.conversations) ? data.conversations : [], nextCursor: typeof data.next_cursor === 'string' ? data.next_cursor : null }
  })
}

exports.openConversation = function (conversationId, limit) {
  var self = this
  if (typeof conversationId !== 'string' || !conversationId) return Promise.reject(failure('conversation_not_found', 404))
  var path = '/wechat/history?conversation_id=' + encodeURIComponent(conversationId) + (limit ? '&limit=' + encodeURIComponent(limit) : '')
  return this.api('GET', path).then(function (data) {
    if (data.conversation_id !== conversationId) throw failure('feature_unsupported')
    self.conversationId = conversationId
    return { conversationId: conversationId, messages: historyMessages(data) }
  })
}

exports.deleteConversation = function (conversationId) {
  var self = this
  if (typeof conversationId !== 'string' || !conversationId) return Promise.reject(failure('conversation_not_found', 404))
  return this.api('DELETE', '/wechat/conversations/' + encodeURIComponent(conversationId)).then(function () {
    if (self.conversationId === conversationId) self.conversationId = null
    return true
  })
}

exports.rate = function (answerId, rating, comment) {
  if (typeof answerId !== 'string' || !answerId) return Promise.reject(failure('answer_not_found', 404))
  if (rating !== 'up' && rating !== 'down') return Promise.reject(failure('bad_rating', 400))
  var body = { id: answerId, rating: rating }
  if (comment != null && String(comment).trim()) {
    body.comment = String(comment).trim()
    if (body.comment.length > MAX_COMMENT_CHARS) return Promise.reject(failure('comment_too_long', 400))
  }
  return this.api('POST', '/wechat/feedback', body).then(function (data) {
    return { id: data.id || answerId, rating: data.rating || rating }
  })
}

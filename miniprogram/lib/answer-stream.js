/**
 * One AI answer as the user sees it, assembled from chat_processing / chat_delta /
 * chat_response frames that may arrive twice or not at all across reconnects.
 *
 * The rules (protocol §3.2, §3.4): deltas are applied only in `index` order, each once — an
 * index already seen is a duplicate (after a resume), a later one means a gap (which the
 * client closes with `resume`); the final chat_response is authoritative for the text and is
 * applied once, later copies are ignored. `snapshot()` is what pages render.
 */
var toastText = require('./error-text.js').toastText

/**
 * @typedef {import('./frames.js').ChatResponseFrame} ChatResponseFrame
 * @typedef {import('./frames.js').ChatProgressFrame} ChatProgressFrame
 * @typedef {import('./frames.js').Source} Source
 */

function AnswerStream(localId, query) {
  this.localId = localId
  this.query = query
  /** the server's answer id, from chat_processing (or login_response.pending_answer) */
  this.id = null
  this.text = ''
  /** the first index not yet applied: what `resume.from_index` must say */
  this.nextIndex = 0
  /** pending → streaming → complete | cancelled | failed | retracted */
  this.status = 'pending'
  this.done = false
  this.sources = []
  this.usage = null
  this.error = null
  /** the latest chat_progress, e.g. {stage: 'searching', query: '换货 运费'} */
  this.progress = null
}

AnswerStream.prototype.started = function (id) {
  if (id && !this.id) this.id = id
}

/**
 * chat_progress (protocol §3.2.1): what the server is doing before the text comes
 * @param {ChatProgressFrame['data']} data
 */
AnswerStream.prototype.progressed = function (data) {
  if (this.done || !data) return false
  this.progress = { stage: String(data.stage || ''), query: typeof data.query === 'string' ? data.query : '' }
  return true
}

/** @returns {'applied'|'duplicate'|'gap'|'ignored'} */
AnswerStream.prototype.delta = function (index, delta) {
  if (this.done || this.status === 'retracted') return 'ignored'
  if (index < this.nextIndex) return 'duplicate'
  if (index > this.nextIndex) return 'gap'
  this.text += typeof delta === 'string' ? delta : ''
  this.nextIndex++
  this.status = 'streaming'
  return 'applied'
}

/**
 * chat_retract (protocol §3.2.2): content security withdrew the answer. What was shown is
 * replaced by the notice at once; later deltas are ignored; chat_response still ends it.
 * @param {import('./frames.js').ChatRetractFrame['data']} data
 */
AnswerStream.prototype.retract = function (data) {
  if (this.done || !data) return false
  this.text = typeof data.message === 'string' ? data.message : ''
  this.status = 'retracted'
  return true
}

/**
 * Applies a chat_response frame. Returns false if the answer had already ended.
 * @param {ChatResponseFrame} frame
 */
AnswerStream.prototype.finish = function (frame) {
  if (this.done) return false
  var data = frame.data || {}
  if (data.id) this.started(data.id)
  if (typeof data.msg === 'string') this.text = data.msg
  if (typeof data.conversation_id === 'string') this.conversationId = data.conversation_id
  this.sources = normalizeSources(data.sources)
  this.usage = data.usage || null
  if (frame.code === 0) this.status = data.status === 'cancelled' || data.status === 'retracted' ? data.status : 'complete'
  else {
    this.status = 'failed'
    this.error = { code: frame.code, reason: data.reason || '', message: frame.message || '' }
    this.error.text = toastText(this.error)
  }
  this.done = true
  return true
}

/** Ends the answer locally (a request error before chat_processing, a lost stream, a cancel). */
AnswerStream.prototype.fail = function (error, status) {
  if (this.done) return false
  this.status = status || 'failed'
  this.error = status === 'cancelled' ? null : error
  this.done = true
  return true
}

AnswerStream.prototype.snapshot = function (extra) {
  var out = {
    localId: this.localId,
    id: this.id,
    query: this.query,
    text: this.text,
    status: this.status,
    done: this.done,
    sources: this.sources,
    usage: this.usage,
    error: this.error,
    progress: this.progress,
  }
  // only from servers with conversations (protocol §3.7): older snapshots keep their shape
  if (this.conversationId) out.conversationId = this.conversationId
  if (extra) for (var key in extra) out[key] = extra[key]
  return out
}

/**
 * chat_response.data.sources or history_response message.sources, when the server sends them:
 * [{title, source, snippet, score}].
 * Anything else is dropped; snippets are cut so a page stays light.
 * @param {Source[] | undefined} sources
 * @returns {Array<{title: string, source: string, snippet: string, score: number | null}>}
 */
function normalizeSources(sources) {
  if (!Array.isArray(sources)) return []
  var out = []
  for (var i = 0; i < sources.length && out.length < 8; i++) {
    var s = sources[i]
    if (!s || typeof s !== 'object') continue
    var title = typeof s.title === 'string' ? s.title : ''
    var source = typeof s.source === 'string' ? s.source : ''
    if (!title && !source) continue
    var snippet = typeof s.snippet === 'string' ? s.snippet : typeof s.text === 'string' ? s.text : ''
    out.push({
      title: title || source,
      source: source,
      snippet: snippet.length > 160 ? snippet.slice(0, 160) + '…' : snippet,
      score: typeof s.score === 'number' ? s.score : null,
    })
  }
  return out
}

module.exports = { AnswerStream: AnswerStream, normalizeSources: normalizeSources }

/**
 * The server frames this kit reads, as JSDoc types (docs/protocol.md is the reference). No
 * code: editors and `tsc --checkJs` pick the types up from comments such as
 * `@param {import('./frames.js').ChatDeltaFrame} frame`, and the kit stays plain ES2015 with
 * no build step.
 *
 * Every frame has the seed's envelope {type, code, message, data}; `request_id` comes back on
 * every reply to a message that carried one. `code` 0 is success; otherwise `data.reason` is the
 * stable identifier to branch on (never `message`, which is Chinese text for people).
 */

/** @typedef {string | number} RequestId */

/**
 * @typedef {object} ErrorData
 * @property {string} reason  stable identifier, e.g. 'session_expired' (protocol §5)
 */

/**
 * A cited passage of the knowledge base, ordered by relevance; `[1]` in the text is the first.
 * @typedef {object} Source
 * @property {string} title
 * @property {string} source   the document, e.g. '售后政策.md'
 * @property {string} snippet
 * @property {number} score    relevance, 0–1
 */

/**
 * @typedef {object} Usage
 * @property {number} promptTokens
 * @property {number} completionTokens
 * @property {number} totalTokens
 */

/**
 * Sent as soon as the socket opens (protocol §2.1).
 * @typedef {object} ConnectedFrame
 * @property {'connected'} type
 * @property {number} code
 * @property {string} message
 * @property {null} data
 */

/**
 * An answer still being generated for this session when it logged in with `session_id`:
 * `resume` it from the index the client lacks (protocol §3.4).
 * @typedef {object} PendingAnswer
 * @property {string} id
 * @property {number} next_index  how far the server has generated
 */

/**
 * @typedef {object} LoginData
 * @property {string} openid
 * @property {string} [unionid]           only when bound to an open platform account
 * @property {string} session_id          keep it in storage: the next login needs no wx.login code
 * @property {PendingAnswer} [pending_answer]
 */

/**
 * Reply to `login` (protocol §2.2). code ≠ 0: `data` is ErrorData, e.g. reason 'session_expired'.
 * @typedef {object} LoginResponseFrame
 * @property {'login_response'} type
 * @property {number} code
 * @property {string} message
 * @property {LoginData | ErrorData} data
 * @property {RequestId} [request_id]
 */

/**
 * The question is accepted (protocol §3.1). `data` is null for a seed-only client (no
 * `stream`, no `request_id`), which this kit never is.
 * @typedef {object} ChatProcessingFrame
 * @property {'chat_processing'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string} | null} data
 * @property {RequestId} [request_id]
 */

/**
 * One piece of a streamed answer (protocol §3.2): indexes start at 0 and have no holes.
 * @typedef {object} ChatDeltaFrame
 * @property {'chat_delta'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string, index: number, delta: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * A voice question's recognized text, after chat_processing and before any delta (protocol §3.1).
 * @typedef {object} ChatTranscriptFrame
 * @property {'chat_transcript'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string, text: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * What the server does before the text comes, e.g. searching the knowledge base (protocol §3.2.1).
 * @typedef {object} ChatProgressFrame
 * @property {'chat_progress'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string, stage: string, query?: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * Content security withdrew the answer being streamed (protocol §3.2.2): replace everything
 * shown for `data.id` with `data.message`; no delta follows, chat_response (status
 * 'retracted', `msg` the same notice) ends it.
 * @typedef {object} ChatRetractFrame
 * @property {'chat_retract'} type
 * @property {number} code
 * @property {string} message             the notice
 * @property {{id: string, message: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * @typedef {object} ChatResponseData
 * @property {string} msg                  the whole answer (Markdown): authoritative over the deltas
 * @property {string} id
 * @property {string | null} session_id
 * @property {'complete' | 'cancelled' | 'retracted'} [status]  with the extensions (stream / request_id); 'retracted': `msg` is the notice
 * @property {Usage | null} [usage]                with the extensions
 * @property {Source[]} [sources]          only when the answer used the knowledge base
 * @property {string} [conversation_id]  with the extensions, on servers with conversations: where the question and answer are stored
 * @property {string} [reason]             when code ≠ 0 (model_error, content_blocked…); `msg` is then the partial text
 */

/**
 * The end of an answer, also when it failed (then code 502/504 and `data.reason`) (protocol §3.1).
 * @typedef {object} ChatResponseFrame
 * @property {'chat_response'} type
 * @property {number} code
 * @property {string} message
 * @property {ChatResponseData} data
 * @property {RequestId} [request_id]
 */

/**
 * One stored message of the current conversation (protocol §3.5).
 * @typedef {object} HistoryMessage
 * @property {string} id
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {'complete' | 'cancelled' | 'failed' | 'blocked' | 'retracted'} status  'blocked': a question content security refused; 'retracted': `content` is the notice
 * @property {number} created_at          ms since the epoch
 * @property {Source[]} [sources]         assistant answers that cited the knowledge base
 * @property {'up' | 'down'} [rating]     answers the user rated (`feedback`, protocol §3.9)
 */

/**
 * Reply to `history`, oldest first (protocol §3.5).
 * @typedef {object} HistoryResponseFrame
 * @property {'history_response'} type
 * @property {number} code
 * @property {string} message
 * @property {{messages: HistoryMessage[], conversation_id?: string}} data  `conversation_id`: the conversation read (servers with conversations)
 * @property {RequestId} [request_id]
 */

/**
 * One of the user's conversations (protocol §3.7).
 * @typedef {object} ConversationEntry
 * @property {string} conversation_id
 * @property {string} title          the first question, at most 30 characters
 * @property {number} updated_at     ms since the epoch of the latest message
 * @property {number} message_count
 */

/**
 * Reply to `conversations`, newest first (protocol §3.7).
 * @typedef {object} ConversationsResponseFrame
 * @property {'conversations_response'} type
 * @property {number} code
 * @property {string} message
 * @property {{conversations: ConversationEntry[], next_cursor?: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * Reply to `delete_conversation` (protocol §3.8).
 * @typedef {object} DeleteConversationResponseFrame
 * @property {'delete_conversation_response'} type
 * @property {number} code
 * @property {string} message
 * @property {{conversation_id: string}} data
 * @property {RequestId} [request_id]
 */

/**
 * Reply to `feedback` (protocol §3.9).
 * @typedef {object} FeedbackResponseFrame
 * @property {'feedback_response'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string, rating: 'up' | 'down'}} data
 * @property {RequestId} [request_id]
 */

/**
 * After an answer's chat_response (servers with SUGGESTIONS=on, clients using request_id):
 * 1–3 follow-up questions the user may tap.
 * @typedef {object} ChatSuggestionsFrame
 * @property {'chat_suggestions'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string, suggestions: string[]}} data
 * @property {RequestId} [request_id]
 */

/**
 * Reply to `cancel` (protocol §3.3); the answer's own chat_response (status 'cancelled') follows.
 * @typedef {object} CancelResponseFrame
 * @property {'cancel_response'} type
 * @property {number} code
 * @property {string} message
 * @property {{id: string | null, cancelled: boolean}} data
 * @property {RequestId} [request_id]
 */

/**
 * Reply to `clear` (protocol §3.6).
 * @typedef {object} ClearResponseFrame
 * @property {'clear_response'} type
 * @property {number} code
 * @property {string} message
 * @property {null} data
 * @property {RequestId} [request_id]
 */

/**
 * Reply to `ping` (protocol §2.3).
 * @typedef {object} PongFrame
 * @property {'pong'} type
 * @property {number} code
 * @property {string} message
 * @property {null} data
 * @property {RequestId} [request_id]
 */

/**
 * A message refused before any answer started (protocol §4); the socket stays open.
 * @typedef {object} ErrorFrame
 * @property {'error'} type
 * @property {number} code
 * @property {string} message
 * @property {ErrorData} data
 * @property {RequestId} [request_id]
 */

/**
 * Every frame the kit reads; switch on `type`.
 * @typedef {ConnectedFrame | LoginResponseFrame | ChatProcessingFrame | ChatDeltaFrame | ChatProgressFrame | ChatTranscriptFrame | ChatRetractFrame | ChatResponseFrame | HistoryResponseFrame | CancelResponseFrame | ClearResponseFrame | PongFrame | ErrorFrame | ConversationsResponseFrame | DeleteConversationResponseFrame | FeedbackResponseFrame | ChatSuggestionsFrame} ServerFrame
 */

module.exports = {}

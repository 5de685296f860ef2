/**
 * The chat page: history on open, streamed answers rendered as Markdown, a stop button,
 * sources under an answer, an "AI 生成" label on every AI message, Chinese toasts for errors;
 * a conversation drawer, 👍/👎 and suggestion chips (conversation-panel.js).
 * All connection logic lives in lib/; this file only turns client events into setData.
 */
var wag = require('../../lib/index.js')
var panel = require('./conversation-panel.js')
var withMedia = require('./chat-media.js').withMedia

/** at most one setData per this many ms while an answer streams (≤ 20 a second) */
var RENDER_INTERVAL_MS = 50
var HISTORY_LIMIT = 40
var STATUS_TEXT = {
  connecting: '正在连接…',
  authenticating: '正在登录…',
  waiting: '网络不稳定，正在重连…',
  stopped: '连接已关闭',
}
var NOTES = { cancelled: '已停止生成', failed: '回答未完成', retracted: '内容已撤回' }

function aiItem(key, text, extra) {
  var item = { key: key, role: 'ai', nodes: wag.toNodes(text), streaming: false, waiting: false, waitingText: '', note: '', sources: [], rating: '' }
  for (var name in extra) item[name] = extra[name]
  return item
}

/** "正在检索：换货 运费" while the server searches the knowledge base (chat_progress) */
function waitingText(answer) {
  var p = answer.progress
  if (p && p.stage === 'searching') return p.query ? '正在检索：' + p.query : '正在检索知识库…'
  return '正在思考…'
}

function historyItem(m) {
  if (m.role === 'user') return { key: 'h-' + m.id, role: 'user', text: m.content }
  // sources as under a live answer (the client normalized them): a reload must not lose them
  return aiItem('h-' + m.id, m.content, { answerId: m.id, note: NOTES[m.status] || '', sources: m.sources || [], rating: m.rating || '' })
}

// photos, hold-to-talk and the play button live in chat-media.js
Page(withMedia(Object.assign({
  data: {
    messages: [],
    inputValue: '',
    busy: false,
    statusText: '',
    scrollTop: 0,
    drawerOpen: false,
    /** [{id, title, meta, active}] */
    conversations: [],
    /** chips under the latest answer */
    suggestions: [],
  },

  onLoad: function () {
    var self = this
    // instance fields, not data: only what the view shows goes through setData
    this.chat = getApp().chat
    this.pending = {}
    this.texts = {}
    this.scroll = 100000
    this.historyLimit = HISTORY_LIMIT
    this.render = wag.createThrottle(function () {
      self.renderAnswers()
    }, RENDER_INTERVAL_MS)
    this.offs = [
      this.chat.on('state', function (e) {
        self.showState(e.state)
      }),
      this.chat.on('answer', function (a) {
        self.onAnswer(a)
      }),
      this.chat.on('error', function (e) {
        wx.showToast({ title: e.text, icon: 'none' })
      }),
      this.chat.on('suggestions', function (s) {
        self.onSuggestions(s)
      }),
    ]
    this.chat.start()
    this.showState(this.chat.state)
    this.loadHistory()
  },

  onUnload: function () {
    this.offs.forEach(function (off) {
      off()
    })
    this.render.cancel()
  },

  loadHistory: function () {
    var self = this
    return this.chat.history(HISTORY_LIMIT).then(
      function (messages) {
        // answers streamed on this page stay; history's copy of them is dropped
        var live = self.data.messages.filter(function (m) {
          return m.key.indexOf('l-') === 0
        })
        self.showMessages(messages, live)
      },
      function (error) {
        wx.showToast({ title: error.text || '历史记录加载失败', icon: 'none' })
      }
    )
  },

  /** A conversation's messages, then `live` (rows streamed on this page that history may repeat). */
  showMessages: function (messages, live) {
    var self = this
    var liveIds = {}
    live.forEach(function (m) {
      if (m.answerId) liveIds[m.answerId] = true
    })
    // the texts kept for long-press copy: the live rows' and the shown conversation's only
    var before = this.texts
    this.texts = {}
    live.forEach(function (m) {
      if (before[m.key] !== undefined) self.texts[m.key] = before[m.key]
    })
    var shown = messages
      .filter(function (m) {
        return !liveIds[m.id]
      })
      .map(function (m) {
        self.texts['h-' + m.id] = m.content
        return historyItem(m)
      })
    this.setData({ messages: shown.concat(live), scrollTop: this.nextScroll() })
  },

  showState: function (state) {
    var text = STATUS_TEXT[state] || ''
    if (text !== this.data.statusText) this.setData({ statusText: text })
  },

  onInput: function (e) {
    this.setData({ inputValue: e.detail.value })
  },

  onSend: function () {
    var query = (this.data.inputValue || '').trim()
    if (!query) return wx.showToast({ title: '请输入问题内容', icon: 'none' })
    if (this.data.busy) return wx.showToast({ title: '上一个回答还没结束', icon: 'none' })
    this.sending = true
    var answer = this.chat.chat(query)
    this.sending = false
    if (!answer) return // refused: the client's error event shows why
    this.showQuestion(answer, { text: query })
  },

  /** The user's row (`user`: its text, a photo question's thumbnails…) and the AI row awaiting the answer. */
  showQuestion: function (answer, user) {
    var n = this.data.messages.length
    var patch = { inputValue: '', busy: true, suggestions: [], scrollTop: this.nextScroll() }
    patch['messages[' + n + ']'] = Object.assign({ key: 'l-' + answer.localId + '-q', role: 'user' }, user)
    patch['messages[' + (n + 1) + ']'] = aiItem('l-' + answer.localId, '', { streaming: true, waiting: true, waitingText: waitingText(answer) })
    this.setData(patch)
    this.render()
  },

  onStop: function () {
    this.chat.cancel().catch(function (error) {
      wx.showToast({ title: error.text || '停止失败', icon: 'none' })
    })
  },

  onClear: function () {
    var self = this
    if (this.data.busy) return wx.showToast({ title: '请先停止当前回答', icon: 'none' })
    this.chat.clear().then(
      function () {
        self.texts = {}
        self.setData({ messages: [], suggestions: [], drawerOpen: false })
      },
      function (error) {
        wx.showToast({ title: error.text || '操作失败', icon: 'none' })
      }
    )
  },

  /** Long-press an answer to copy it (rich-text swallows taps, so no copy button inside it). */
  onCopy: function (e) {
    var text = this.texts[e.currentTarget.dataset.key]
    if (text) wx.setClipboardData({ data: text })
  },

  onAnswer: function (answer) {
    this.pending[answer.localId] = answer
    if (this.sending) return // onSend adds its rows, then renders
    if (this.indexOf('l-' + answer.localId) < 0) this.appendAnswer(answer)
    if (answer.done) {
      this.latestAnswerId = answer.id
      this.render.flush(true)
      if (answer.error) wx.showToast({ title: answer.error.text || wag.toastText(answer.error), icon: 'none' })
    } else this.render()
  },

  /** An answer this page did not ask for (the app restarted mid-answer): show it at the end. */
  appendAnswer: function (answer) {
    var patch = { busy: !answer.done }
    patch['messages[' + this.data.messages.length + ']'] = aiItem('l-' + answer.localId, answer.text, { answerId: answer.id, streaming: !answer.done })
    this.setData(patch)
  },

  /** One setData for everything that changed since the last one (called through the throttle). */
  renderAnswers: function () {
    var patch = null
    for (var localId in this.pending) {
      var a = this.pending[localId]
      var i = this.indexOf('l-' + localId)
      if (i < 0) continue
      var at = 'messages[' + i + '].'
      patch = patch || {}
      this.texts['l-' + localId] = a.text
      patch[at + 'nodes'] = wag.toNodes(a.text)
      patch[at + 'answerId'] = a.id
      patch[at + 'streaming'] = !a.done
      patch[at + 'waiting'] = !a.done && a.text === ''
      patch[at + 'waitingText'] = waitingText(a)
      if (a.done) {
        patch[at + 'note'] = NOTES[a.status] || ''
        patch[at + 'sources'] = a.sources
        // a failed answer (model error, blocked question) has nothing to rate
        patch[at + 'noRate'] = a.status === 'failed'
        patch.busy = false
      }
    }
    this.pending = {}
    if (!patch) return
    patch.scrollTop = this.nextScroll()
    this.setData(patch)
  },

  indexOf: function (key) {
    var messages = this.data.messages
    for (var i = messages.length - 1; i >= 0; i--) if (messages[i].key === key) return i
    return -1
  },

  /** scroll-view scrolls only when scroll-top changes: a growing huge value keeps it at the bottom */
  nextScroll: function () {
    this.scroll += 1
    return this.scroll
  },
}, panel)))

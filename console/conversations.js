/**
 * The console's conversation list, 👍/👎 under answers and suggestion chips (protocol §3.7–3.10).
 * console.js owns the socket and the message list; this file owns these three features and
 * tells console.js what to do through the hooks it is given. Everything the server or the
 * model wrote goes in as text (textContent / text nodes), never as HTML.
 */
;(function () {
  var R = self.WagRender
  var h = R.h
  var toastText = self.WagErrorText.toastText
  var RATING_TEXT = { up: '👍', down: '👎' }

  /**
   * @param {{send: function(object): boolean, busy: function(): boolean, showHistory: function(Array, boolean): void,
   *          ask: function(string): void}} hooks
   */
  function create(hooks) {
    var $ = function (id) {
      return document.getElementById(id)
    }
    var seq = 0
    /** request_id → what it was for: {kind: 'list'|'open'|'delete'|'rate', …} */
    var pending = {}
    var state = { currentId: null }

    function request(message, what) {
      message.request_id = 'v' + ++seq
      pending[message.request_id] = what
      return hooks.send(message)
    }

    // ------------------------------------------------------------ the list

    function refresh() {
      request({ type: 'conversations', limit: 50 }, { kind: 'list' })
    }

    function timeText(ms) {
      var d = new Date(ms)
      var sameDay = d.toDateString() === new Date().toDateString()
      return sameDay ? d.toTimeString().slice(0, 5) : d.getMonth() + 1 + '月' + d.getDate() + '日'
    }

    function renderList(conversations) {
      var items = conversations.map(function (c) {
        var open = h('button', { type: 'button', className: 'conv-open', title: c.title }, h('span', { className: 'conv-title' }, c.title || '（无标题）'), h('span', { className: 'conv-meta' }, timeText(c.updated_at) + ' · ' + c.message_count + ' 条'))
        open.addEventListener('click', function () {
          openConversation(c.conversation_id)
        })
        var remove = h('button', { type: 'button', className: 'conv-delete', title: '删除这段对话' }, '删除')
        remove.addEventListener('click', function () {
          // deleting cannot be undone: ask first
          if (window.confirm('删除对话「' + (c.title || '无标题') + '」？删除后无法恢复。')) request({ type: 'delete_conversation', conversation_id: c.conversation_id }, { kind: 'delete', id: c.conversation_id })
        })
        var li = h('li', { className: 'conv' + (c.conversation_id === state.currentId ? ' active' : '') }, open, remove)
        li.dataset.id = c.conversation_id
        return li
      })
      $('conversations').replaceChildren.apply($('conversations'), items)
      if (!items.length) $('conversations').appendChild(h('li', { className: 'conv-empty' }, '还没有历史对话'))
    }

    function markActive() {
      Array.prototype.forEach.call($('conversations').children, function (li) {
        li.classList.toggle('active', Boolean(li.dataset.id) && li.dataset.id === state.currentId)
      })
    }

    function openConversation(id) {
      if (hooks.busy()) return R.toast('回答结束后再切换对话')
      request({ type: 'history', conversation_id: id, limit: 40 }, { kind: 'open', id: id })
    }

    /** where the next question goes: the server says it (chat_response, history_response) */
    function note(id) {
      if (typeof id !== 'string' || !id || id === state.currentId) return
      state.currentId = id
      markActive()
    }

    // ------------------------------------------------------------ ratings

    /** 👍/👎 under an answer; `rating` is the current one (history's `rating`) */
    function decorate(el, answerId, rating) {
      if (!answerId || el.querySelector('.rate')) return
      el.dataset.answerId = answerId
      var bar = h('div', { className: 'rate' })
      ;['up', 'down'].forEach(function (value) {
        var button = h('button', { type: 'button', className: 'rate-' + value, title: value === 'up' ? '有帮助' : '没帮助' }, RATING_TEXT[value])
        button.setAttribute('aria-pressed', String(rating === value))
        button.addEventListener('click', function () {
          request({ type: 'feedback', id: answerId, rating: value }, { kind: 'rate', el: el })
        })
        bar.appendChild(button)
      })
      el.appendChild(bar)
    }

    function showRating(el, rating) {
      ;['up', 'down'].forEach(function (value) {
        var button = el.querySelector('.rate-' + value)
        if (button) button.setAttribute('aria-pressed', String(rating === value))
      })
    }

    // ------------------------------------------------------------ suggestions

    function clearChips() {
      var old = document.querySelector('#messages .chips')
      if (old) old.remove()
    }

    /** chips only under the latest answer, and only if it is the one they follow */
    function showChips(id, suggestions) {
      var answers = document.querySelectorAll('#messages .msg.ai')
      var last = answers[answers.length - 1]
      if (!last || last.dataset.answerId !== id || hooks.busy() || !Array.isArray(suggestions)) return
      clearChips()
      var chips = h('div', { className: 'chips' }, h('span', { className: 'chips-title' }, '你可能还想问'))
      suggestions.forEach(function (text) {
        if (typeof text !== 'string' || !text) return
        var chip = h('button', { type: 'button', className: 'chip' }, text)
        chip.addEventListener('click', function () {
          clearChips()
          hooks.ask(text)
        })
        chips.appendChild(chip)
      })
      $('messages').appendChild(chips)
      $('messages').scrollTop = $('messages').scrollHeight
    }

    // ------------------------------------------------------------ frames

    /** Handles a frame that belongs here; true = handled (console.js does nothing more with it). */
    function handle(frame) {
      var data = frame.data || {}
      if (frame.type === 'chat_suggestions') {
        showChips(data.id, data.suggestions)
        return true
      }
      var what = frame.request_id !== undefined ? pending[frame.request_id] : undefined
      if (!what) return false
      delete pending[frame.request_id]
      if (frame.code !== 0) {
        R.toast(toastText(frame))
        // a conversation deleted elsewhere: show what is left
        if (data.reason === 'conversation_not_found') {
          if (what.id === state.currentId) state.currentId = null
          refresh()
        }
        return true
      }
      if (what.kind === 'list') renderList(data.conversations || [])
      else if (what.kind === 'open') {
        note(data.conversation_id)
        hooks.showHistory(data.messages || [], true)
      } else if (what.kind === 'delete') {
        if (what.id === state.currentId) {
          state.currentId = null
          $('messages').replaceChildren()
        }
        R.toast('已删除对话')
        refresh()
      } else if (what.kind === 'rate') showRating(what.el, data.rating)
      return true
    }

    $('conv-refresh').addEventListener('click', refresh)

    return {
      state: state,
      refresh: refresh,
      note: note,
      decorate: decorate,
      clearChips: clearChips,
      handle: handle,
      /** after `clear`: a new conversation, not in the list until its first message */
      cleared: function () {
        state.currentId = null
        markActive()
      },
    }
  }

  self.WagConversations = { create: create }
})()

/**
 * 对话: every user's conversations, newest first, searchable by a word of a question or an
 * answer (`q`), by openid and by date; a click opens the whole conversation with each
 * message's status, tokens, model, cited passages, rating and content-security flag.
 */
;(function () {
  var D = self.WagAdminDom
  var S = self.WagAdminSources
  var api = self.WagAdminApi
  var h = D.h
  var $ = D.$
  var PAGE = 20
  var STATUS = { complete: '完成', cancelled: '已停止', failed: '失败', blocked: '已拦截', retracted: '已撤回' }
  var loaded = false

  function query() {
    var range = D.dateRange('conv-from', 'conv-to')
    return { q: $('conv-q').value.trim(), openid: $('conv-openid').value.trim(), from: range.from, to: range.to, limit: PAGE }
  }

  var load = D.pagedList({
    list: 'conv-list',
    more: 'conv-more',
    filter: query,
    fetch: function (params) {
      return api.get('/admin/api/conversations', params)
    },
    render: renderRow,
    empty: function (filter) {
      return filter.q || filter.openid || filter.from || filter.to ? '没有符合条件的对话' : '还没有对话'
    },
    notes: function (data) {
      var notes = []
      // Redis searches only the newest conversations (docs/admin.md)
      if (data && data.truncated) notes.push('只搜索了最近的一部分对话；完整的全文搜索需要 SQLite 存储')
      if (data && data.indexing) notes.push('索引正在补建（升级后的第一次启动），最新的对话可能暂时缺少')
      return notes
    },
    failed: function () {
      loaded = false // the next visit tries again (after signing in anew, say)
    },
  })

  function renderRow(item) {
    var id = D.pick(item, ['conversation_id', 'conversationId', 'id'])
    var count = D.pick(item, ['message_count', 'messageCount'])
    var row = h(
      'li',
      { className: 'row conv', tabIndex: 0, dataset: { id: String(id) } },
      h('div', { className: 'row-title' }, item.title || '（无标题）'),
      item.snippet ? h('div', { className: 'row-snippet' }, item.snippet) : null,
      h(
        'div',
        { className: 'row-meta' },
        h('span', { className: 'mono' }, item.openid || ''),
        h('span', null, D.formatTime(D.pick(item, ['updated_at', 'updatedAt']))),
        count !== undefined ? h('span', null, count + ' 条消息') : null
      )
    )
    return row
  }

  function open(id, row) {
    Array.prototype.forEach.call(document.querySelectorAll('#conv-list .row.selected'), function (el) {
      el.classList.remove('selected')
    })
    if (row) row.classList.add('selected')
    var detail = $('conv-detail')
    detail.hidden = false
    $('conv-split').classList.add('has-detail')
    $('tab-conversations').classList.add('has-detail')
    detail.replaceChildren(D.hint('加载中…'))
    api.get('/admin/api/conversations/' + encodeURIComponent(id)).then(
      function (data) {
        renderDetail(detail, data || {}, id)
        detail.scrollTop = 0
        // a phone shows the conversation instead of the list: start at its top
        if (detail.getBoundingClientRect().top < 0) window.scrollTo(0, 0)
      },
      function (error) {
        detail.replaceChildren(backButton(), D.hint(error.message))
      }
    )
  }

  function close() {
    $('conv-detail').hidden = true
    $('conv-split').classList.remove('has-detail')
    $('tab-conversations').classList.remove('has-detail')
  }

  function backButton() {
    return h('button', { type: 'button', className: 'back', onclick: close }, '← 返回列表')
  }

  function renderDetail(detail, data, id) {
    var conversation = data.conversation || data
    var messages = data.messages || conversation.messages || []
    detail.replaceChildren(
      h(
        'div',
        { className: 'detail-head' },
        backButton(),
        h('h2', null, conversation.title || '对话详情'),
        h(
          'div',
          { className: 'row-meta' },
          h('span', { className: 'mono' }, 'openid ' + (conversation.openid || '')),
          h('span', { className: 'mono' }, 'ID ' + (D.pick(conversation, ['conversation_id', 'conversationId', 'id']) || id)),
          h('span', null, messages.length + ' 条消息')
        )
      ),
      h('ol', { className: 'messages' }, messages.map(renderMessage))
    )
  }

  function renderMessage(message) {
    var assistant = message.role === 'assistant'
    var status = message.status || 'complete'
    var flagged = message.flagged || message.flags
    var flagLabel = flagged && (flagged.label || (Array.isArray(flagged) ? flagged.join('、') : ''))
    return h(
      'li',
      { className: 'msg ' + (assistant ? 'assistant' : 'user') + ' status-' + status, dataset: { id: String(message.id || '') } },
      h(
        'div',
        { className: 'msg-meta' },
        h('b', null, assistant ? 'AI 回答' : '用户提问'),
        h('span', null, D.formatTime(D.pick(message, ['created_at', 'createdAt']))),
        status !== 'complete' ? h('span', { className: 'badge ' + status }, STATUS[status] || status) : null,
        flagged ? h('span', { className: 'badge flag' }, '⚠ 内容安全' + (flagLabel ? '：' + flagLabel : '')) : null,
        assistant ? h('span', null, D.formatTokens(message.usage || message.tokens)) : null,
        message.model ? h('span', { className: 'mono' }, message.model) : null
      ),
      h('div', { className: 'msg-text' }, message.content || ''),
      assistant ? S.renderSources(message.sources) : null,
      assistant ? S.renderRating(message) : null
    )
  }

  function init() {
    $('conv-filter').addEventListener('submit', function (event) {
      event.preventDefault()
      close()
      load(false)
    })
    $('conv-more').addEventListener('click', function () {
      load(true)
    })
    $('conv-list').addEventListener('click', function (event) {
      var row = event.target.closest('.row.conv')
      if (row) open(row.dataset.id, row)
    })
    $('conv-list').addEventListener('keydown', function (event) {
      var row = event.target.closest('.row.conv')
      if (row && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault()
        open(row.dataset.id, row)
      }
    })
  }

  function show() {
    if (!loaded) {
      loaded = true
      load(false)
    }
  }

  self.WagAdminTabs = self.WagAdminTabs || {}
  self.WagAdminTabs.conversations = { init: init, show: show, open: open }
})()

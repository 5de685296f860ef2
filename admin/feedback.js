/**
 * 反馈: rated answers with their question and the user's comment, filterable by 👍/👎. A
 * disliked answer opens with the passages it cited, so the operator can see which document
 * misled the model; "查看整段对话" jumps to the conversation.
 */
;(function () {
  var D = self.WagAdminDom
  var S = self.WagAdminSources
  var api = self.WagAdminApi
  var h = D.h
  var $ = D.$
  var PAGE = 20
  var load = D.pagedList({
    list: 'fb-list',
    more: 'fb-more',
    filter: function () {
      var range = D.dateRange('fb-from', 'fb-to')
      return { rating: $('fb-rating').value, from: range.from, to: range.to, limit: PAGE }
    },
    fetch: function (params) {
      return api.get('/admin/api/feedback', params)
    },
    render: renderItem,
    empty: function () {
      return '没有反馈'
    },
  })

  function renderItem(item) {
    var down = item.rating === 'down'
    var conversationId = D.pick(item, ['conversation_id', 'conversationId'])
    var answerId = D.pick(item, ['answer_id', 'answerId', 'id'])
    var answer = typeof item.answer === 'object' && item.answer ? item.answer : { content: item.answer }
    var question = typeof item.question === 'object' && item.question ? item.question.content : item.question
    var sources = item.sources || answer.sources
    var more = h('div', { className: 'fb-more' }, S.renderSources(sources) || D.hint('这个回答没有引用知识库'))
    var li = h(
      'li',
      { className: 'row fb ' + (down ? 'down open' : 'up'), dataset: { answer: String(answerId || '') } },
      h(
        'div',
        { className: 'row-meta' },
        h('span', { className: 'badge ' + (down ? 'down' : 'up') }, down ? '👎 踩' : '👍 赞'),
        h('span', null, D.formatTime(D.pick(item, ['rated_at', 'ratedAt', 'updated_at', 'updatedAt']))),
        h('span', { className: 'mono' }, item.openid || '')
      ),
      h('div', { className: 'fb-q' }, h('b', null, '问：'), question || '（问题不可用）'),
      h('div', { className: 'fb-a msg-text' }, h('b', null, '答：'), answer.content || ''),
      item.comment ? h('q', { className: 'comment' }, item.comment) : null,
      more,
      h(
        'div',
        { className: 'fb-actions' },
        h('button', { type: 'button', className: 'toggle' }, down ? '收起' : '展开引用'),
        conversationId
          ? h('button', { type: 'button', className: 'goto', dataset: { conversation: String(conversationId) } }, '查看整段对话')
          : null
      )
    )
    return li
  }

  function init() {
    $('fb-filter').addEventListener('submit', function (event) {
      event.preventDefault()
      load(false)
    })
    $('fb-rating').addEventListener('change', function () {
      load(false)
    })
    $('fb-more').addEventListener('click', function () {
      load(true)
    })
    $('fb-list').addEventListener('click', function (event) {
      var toggle = event.target.closest('.toggle')
      if (toggle) {
        var row = toggle.closest('.row')
        var open = row.classList.toggle('open')
        toggle.textContent = open ? '收起' : '展开引用'
      }
      var jump = event.target.closest('.goto')
      if (jump) {
        location.hash = '#conversations'
        self.WagAdminTabs.conversations.open(jump.dataset.conversation)
      }
    })
  }

  self.WagAdminTabs = self.WagAdminTabs || {}
  self.WagAdminTabs.feedback = { init: init, show: function () {
    load(false)
  } }
})()

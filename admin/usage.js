/**
 * 用量: per day (chats, model tokens in/out, errors, blocked questions) as two bar charts and
 * totals, and per user as a table, over a date range (default: the API's, recent days).
 */
;(function () {
  var D = self.WagAdminDom
  var api = self.WagAdminApi
  var chart = self.WagBarChart.barChart
  var h = D.h
  var $ = D.$
  var IN = ['tokens_in', 'tokensIn', 'prompt_tokens', 'promptTokens']
  var OUT = ['tokens_out', 'tokensOut', 'completion_tokens', 'completionTokens']
  var COLUMNS = [
    ['用户 openid', function (u) {
      return h('span', { className: 'mono' }, u.openid || '')
    }],
    ['对话', function (u) {
      return String(D.num(u, ['chats']))
    }],
    ['输入 tokens', function (u) {
      return String(D.num(u, IN))
    }],
    ['输出 tokens', function (u) {
      return String(D.num(u, OUT))
    }],
    ['出错', function (u) {
      return String(D.num(u, ['errors']))
    }],
    ['被拦截', function (u) {
      return String(D.num(u, ['blocked']))
    }],
  ]

  function load() {
    shown = null
    $('usage-charts').replaceChildren(D.hint('加载中…'))
    $('usage-totals').replaceChildren()
    $('usage-users').replaceChildren()
    api.get('/admin/api/usage', D.dateRange('usage-from', 'usage-to')).then(render, function (error) {
      $('usage-charts').replaceChildren(D.hint(error.message))
    })
  }

  /** the report on screen, drawn again at the new width when the window is resized (a phone turned) */
  var shown = null
  var resizeTimer = null

  function render(data) {
    shown = data
    var days = (data && (data.days || data.per_day || data.daily)) || []
    var users = (data && (data.users || data.per_user)) || []
    var sum = function (names) {
      return days.reduce(function (total, day) {
        return total + D.num(day, names)
      }, 0)
    }
    $('usage-totals').replaceChildren(
      total('对话', sum(['chats'])),
      total('输入 tokens', sum(IN)),
      total('输出 tokens', sum(OUT)),
      total('出错', sum(['errors'])),
      total('被拦截', sum(['blocked']))
    )
    if (data && data.indexing) $('usage-totals').appendChild(D.hint('索引正在补建，统计可能暂时不完整'))
    if (days.length === 0) $('usage-charts').replaceChildren(D.hint('这段时间没有用量'))
    else {
      var labels = days.map(function (day) {
        return String(D.pick(day, ['date', 'day']) || '')
      })
      var values = function (names) {
        return days.map(function (day) {
          return D.num(day, names)
        })
      }
      // two charts side by side when there is room (admin.css: .charts, 300 px columns, 12 px gap), minus the figure's padding
      var room = $('usage-charts').clientWidth
      var width = (room >= 612 ? (room - 12) / 2 : room) - 26
      $('usage-charts').replaceChildren(
        chart('每日对话数', labels, [
          { name: '对话', className: 's-chats', values: values(['chats']) },
        ], width),
        chart('每日模型 tokens', labels, [
          { name: '输入', className: 's-in', values: values(IN) },
          { name: '输出', className: 's-out', values: values(OUT) },
        ], width)
      )
    }
    var head = h('thead', null, h('tr', null, COLUMNS.map(function (c) {
      return h('th', null, c[0])
    })))
    var body = h('tbody', null, users.map(function (user) {
      return h('tr', null, COLUMNS.map(function (c, i) {
        return h('td', { className: i > 0 ? 'n' : '' }, c[1](user))
      }))
    }))
    if (users.length === 0) body.appendChild(h('tr', null, h('td', { colSpan: COLUMNS.length, className: 'hint' }, '没有用户数据')))
    $('usage-users').replaceChildren(head, body)
  }

  function total(label, value) {
    return h('div', { className: 'total' }, h('span', { className: 'total-value' }, value.toLocaleString('zh-CN')), h('span', { className: 'hint' }, label))
  }

  function init() {
    $('usage-filter').addEventListener('submit', function (event) {
      event.preventDefault()
      load()
    })
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer)
      resizeTimer = setTimeout(function () {
        if (shown && !$('tab-usage').hidden) render(shown)
      }, 150)
    })
  }

  self.WagAdminTabs = self.WagAdminTabs || {}
  self.WagAdminTabs.usage = { init: init, show: load }
})()

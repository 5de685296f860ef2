/**
 * Knowledge-base search: GET /admin/kb/search?q=… with `Authorization: Bearer <ADMIN_TOKEN>`.
 * The token stays in sessionStorage (this tab only). Hits are shown as text.
 */
;(function () {
  var R = self.WagRender
  var h = R.h

  /** the admin API's hit list, whatever envelope it comes in */
  function hitsOf(body) {
    var data = body && body.data !== undefined ? body.data : body
    if (Array.isArray(data)) return data
    if (data && Array.isArray(data.hits)) return data.hits
    if (data && Array.isArray(data.results)) return data.results
    return []
  }

  function renderHit(hit, n) {
    var score = []
    if (typeof hit.score === 'number') score.push('score ' + hit.score.toFixed(3))
    if (typeof hit.relevance === 'number') score.push('相关度 ' + hit.relevance.toFixed(2))
    var path = Array.isArray(hit.headingPath) && hit.headingPath.length ? ' › ' + hit.headingPath.join(' › ') : ''
    return h(
      'div',
      { className: 'hit' },
      h('div', { className: 'hit-head' }, n + 1 + '. ' + (hit.title || hit.source || '(无标题)') + path),
      h('div', { className: 'hit-meta' }, [hit.source || '', score.join(' · ')].filter(Boolean).join(' · ')),
      h('div', { className: 'hit-text' }, String(hit.text || hit.snippet || ''))
    )
  }

  function init(baseUrl) {
    var form = document.getElementById('kb-form')
    var token = document.getElementById('admin-token')
    var query = document.getElementById('kb-query')
    var results = document.getElementById('kb-results')
    token.value = sessionStorage.getItem('wag_admin_token') || ''
    form.addEventListener('submit', function (event) {
      event.preventDefault()
      var q = query.value.trim()
      if (!q) return R.toast('请输入检索内容')
      sessionStorage.setItem('wag_admin_token', token.value)
      results.replaceChildren(h('div', { className: 'hint' }, '检索中…'))
      fetch(baseUrl + '/admin/kb/search?q=' + encodeURIComponent(q), { headers: { Authorization: 'Bearer ' + token.value } })
        .then(function (response) {
          return response.json().then(
            function (body) {
              return { status: response.status, body: body }
            },
            function () {
              return { status: response.status, body: null }
            }
          )
        })
        .then(function (reply) {
          var body = reply.body || {}
          if (reply.status === 404 && (!body.code || (body.data && body.data.reason === 'not_found'))) return results.replaceChildren(h('div', { className: 'hint' }, '这个网关没有启用知识库管理接口（未设置 ADMIN_TOKEN？）'))
          if (reply.status !== 200 || (body.code !== undefined && body.code !== 0)) {
            return results.replaceChildren(h('div', { className: 'hint' }, self.WagErrorText.toastText(body) + '（HTTP ' + reply.status + '）'))
          }
          var hits = hitsOf(body)
          results.replaceChildren.apply(results, hits.length ? hits.map(renderHit) : [h('div', { className: 'hint' }, '没有找到相关内容')])
        })
        .catch(function (error) {
          results.replaceChildren(h('div', { className: 'hint' }, '请求失败：' + error.message))
        })
    })
  }

  self.WagKbSearch = { init: init, hitsOf: hitsOf }
})()

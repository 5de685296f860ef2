/**
 * DOM helpers for the admin page. Everything a user or a model wrote (questions, answers,
 * comments, document names) goes in as text nodes or textContent: nothing passes through
 * innerHTML, so `<img src=x onerror=…>` in a question is shown, never run. The page's CSP
 * (no inline script or style) is the second fence.
 */
;(function () {
  var SVG_NS = 'http://www.w3.org/2000/svg'

  /** h('div', {className: 'x'}, 'text', child): properties are set as DOM properties, children as text nodes or elements */
  function h(tag, props) {
    var el = document.createElement(tag)
    for (var key in props || {}) {
      if (key === 'dataset') Object.assign(el.dataset, props[key])
      else el[key] = props[key]
    }
    append(el, Array.prototype.slice.call(arguments, 2))
    return el
  }

  /** an SVG element: attributes through setAttribute (presentation attributes, not style="" — the CSP allows them) */
  function svg(tag, attrs) {
    var el = document.createElementNS(SVG_NS, tag)
    for (var key in attrs || {}) el.setAttribute(key, String(attrs[key]))
    append(el, Array.prototype.slice.call(arguments, 2))
    return el
  }

  function append(el, children) {
    children.forEach(function (child) {
      if (child == null || child === false) return
      if (Array.isArray(child)) return append(el, child)
      el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
    })
  }

  function $(id) {
    return document.getElementById(id)
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n)
  }

  /** epoch ms or an ISO string → "2026-12-02 08:30" in the browser's time zone; '' when absent */
  function formatTime(value) {
    if (value == null || value === '') return ''
    var date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value)
    if (isNaN(date.getTime())) return String(value)
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + ' ' + pad(date.getHours()) + ':' + pad(date.getMinutes())
  }

  function formatBytes(bytes) {
    if (typeof bytes !== 'number') return ''
    if (bytes < 1024) return bytes + ' B'
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + ' KB'
    return (bytes / 1048576).toFixed(1) + ' MB'
  }

  /** the first of `names` that `obj` has (the API speaks snake_case; tolerate camelCase too) */
  function pick(obj, names) {
    if (!obj) return undefined
    for (var i = 0; i < names.length; i++) if (obj[names[i]] !== undefined && obj[names[i]] !== null) return obj[names[i]]
    return undefined
  }

  function num(obj, names) {
    var value = Number(pick(obj, names))
    return isFinite(value) ? value : 0
  }

  var toastTimer = null
  function toast(text) {
    var el = $('toast')
    el.textContent = text
    el.hidden = false
    clearTimeout(toastTimer)
    toastTimer = setTimeout(function () {
      el.hidden = true
    }, 3000)
  }

  /** a hint line in a list ("加载中…", "没有数据") */
  function hint(text) {
    return h('p', { className: 'hint' }, text)
  }

  /** the date range of two <input type=date> as the API's query: `from`/`to` are whole days, both included */
  function dateRange(fromId, toId) {
    return { from: $(fromId).value || undefined, to: $(toId).value || undefined }
  }

  /** a message's or conversation's token counts as "输入 12 · 输出 34" ('' when unknown) */
  function formatTokens(usage) {
    if (!usage) return ''
    var input = pick(usage, ['prompt_tokens', 'promptTokens', 'tokens_in', 'input'])
    var output = pick(usage, ['completion_tokens', 'completionTokens', 'tokens_out', 'output'])
    if (input === undefined && output === undefined) return ''
    return 'tokens 输入 ' + (input || 0) + ' · 输出 ' + (output || 0)
  }

  /**
   * A list read page by page: load(false) starts over with `o.filter()`, load(true) appends the
   * next page ("更多"). A slow answer to an older search is dropped, never shown over a newer one.
   * o: list, more (element ids); filter() → query; fetch(query) → Promise of a page
   * ({ items, next_cursor }); render(item) → element; empty(filter) → text for no items;
   * notes(page) → texts shown after the items (optional); failed() (optional).
   */
  function pagedList(o) {
    var filter = {}
    var nextCursor = null
    /** bumps on every new search */
    var generation = 0
    return function load(more) {
      var mine = more ? generation : ++generation
      if (!more) {
        filter = o.filter()
        nextCursor = null
        $(o.list).replaceChildren(hint('加载中…'))
        $(o.more).hidden = true
      }
      $(o.more).disabled = true
      return o.fetch(Object.assign({}, filter, more ? { cursor: nextCursor } : {})).then(
        function (data) {
          if (mine !== generation) return
          var items = (data && data.items) || []
          if (!more) $(o.list).replaceChildren()
          items.forEach(function (item) {
            $(o.list).appendChild(o.render(item))
          })
          if (!more && items.length === 0) $(o.list).appendChild(hint(o.empty(filter)))
          ;(o.notes ? o.notes(data) : []).forEach(function (text) {
            $(o.list).appendChild(hint(text))
          })
          nextCursor = pick(data, ['next_cursor', 'nextCursor']) || null
          $(o.more).hidden = !nextCursor
          $(o.more).disabled = false
        },
        function (error) {
          if (mine !== generation) return
          $(o.more).disabled = false
          if (o.failed) o.failed()
          if (!more) $(o.list).replaceChildren(hint(error.message))
          else toast(error.message)
        }
      )
    }
  }

  self.WagAdminDom = {
    pagedList: pagedList,
    h: h,
    svg: svg,
    $: $,
    formatTime: formatTime,
    formatBytes: formatBytes,
    formatTokens: formatTokens,
    dateRange: dateRange,
    pick: pick,
    num: num,
    toast: toast,
    hint: hint,
  }
})()

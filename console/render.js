/**
 * DOM helpers for the console. Answers are rendered from the same rich-text nodes the
 * mini-program gets (lib/markdown-nodes.js): elements are created one by one from a tag
 * whitelist, text goes in as text nodes — nothing ever passes through innerHTML, so a model
 * that writes <script> or <img onerror> shows text, as it does on the phone.
 */
;(function () {
  var TAGS = /^(h[1-6]|p|br|strong|em|del|code|pre|blockquote|ul|ol|li|hr|table|thead|tbody|tr|th|td|div|span|a)$/
  var ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }

  /** rich-text text nodes carry HTML entities; the converter emits only these five */
  function decodeEntities(text) {
    return text.replace(/&(amp|lt|gt|quot|#39);/g, function (entity) {
      return ENTITIES[entity]
    })
  }

  function renderNodes(nodes, parent) {
    nodes.forEach(function (node) {
      if (node.type === 'text') return parent.appendChild(document.createTextNode(decodeEntities(node.text)))
      if (!TAGS.test(node.name)) return
      var el = document.createElement(node.name)
      var attrs = node.attrs || {}
      if (attrs.class) el.className = attrs.class
      // through CSSOM, which the page's CSP (no inline style attributes) allows
      if (attrs.style) el.style.cssText = attrs.style
      if (attrs.start && node.name === 'ol') el.start = Number(attrs.start)
      renderNodes(node.children || [], el)
      parent.appendChild(el)
    })
    return parent
  }

  /** Markdown → DOM, replacing `target`'s content. */
  function renderMarkdown(target, markdown) {
    var fragment = document.createDocumentFragment()
    renderNodes(self.WagMarkdown.toNodes(markdown), fragment)
    target.replaceChildren(fragment)
  }

  /** tiny element builder: h('div', {className: 'x'}, 'text', child) */
  function h(tag, props) {
    var el = document.createElement(tag)
    for (var key in props || {}) el[key] = props[key]
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i]
      if (child == null || child === false) continue
      el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
    }
    return el
  }

  function renderSources(sources) {
    if (!sources || !sources.length) return null
    return h(
      'div',
      { className: 'sources' },
      '参考资料',
      h.apply(null, ['ol', null].concat(sources.map(function (s) {
        var score = typeof s.score === 'number' ? '（相关度 ' + s.score.toFixed(2) + '）' : ''
        return h('li', null, (s.title || s.source || '') + score, s.source && s.source !== s.title ? ' · ' + s.source : '', s.snippet ? h('span', { className: 'source-snippet' }, s.snippet) : null)
      })))
    )
  }

  var toastTimer = null
  function toast(text) {
    var el = document.getElementById('toast')
    el.textContent = text
    el.hidden = false
    clearTimeout(toastTimer)
    toastTimer = setTimeout(function () {
      el.hidden = true
    }, 2500)
  }

  self.WagRender = { renderNodes: renderNodes, renderMarkdown: renderMarkdown, renderSources: renderSources, h: h, toast: toast, decodeEntities: decodeEntities }
})()

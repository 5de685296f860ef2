/**
 * Inline Markdown (emphasis, code spans, links…) and the node builders both halves of the
 * converter use; the blocks are in ./markdown-nodes.js, which explains the safety rules.
 * Every string the model wrote ends up in a text node, HTML-escaped (rich-text text nodes
 * "support entities", so `<` must arrive as `&lt;` to be shown as `<`).
 * Also loaded by the browser console (/console/lib/markdown-inline.js), hence the wrapper.
 */
;(function (factory) {
  var api = factory()
  if (typeof module === 'object' && module && module.exports) module.exports = api
  else if (typeof self !== 'undefined') self.WagMarkdownInline = api
})(function () {
  var STYLES = {
    h1: 'font-size:1.35em;font-weight:bold;margin:.6em 0 .3em;',
    h2: 'font-size:1.25em;font-weight:bold;margin:.6em 0 .3em;',
    h3: 'font-size:1.12em;font-weight:bold;margin:.5em 0 .3em;',
    h4: 'font-size:1em;font-weight:bold;margin:.5em 0 .3em;',
    h5: 'font-size:1em;font-weight:bold;margin:.4em 0 .2em;',
    h6: 'font-size:.95em;font-weight:bold;color:#666;margin:.4em 0 .2em;',
    p: 'margin:.35em 0;',
    ul: 'margin:.35em 0;padding-left:1.3em;',
    ol: 'margin:.35em 0;padding-left:1.6em;',
    li: 'margin:.15em 0;',
    blockquote: 'margin:.4em 0;padding:.1em .7em;border-left:3px solid #d0d7de;color:#57606a;',
    pre: 'margin:.4em 0;padding:.6em .8em;background:#f6f8fa;border-radius:6px;white-space:pre-wrap;word-break:break-all;font-size:.88em;line-height:1.5;',
    code: 'font-family:Menlo,Consolas,monospace;background:#f0f1f3;padding:0 .25em;border-radius:3px;font-size:.92em;',
    precode: 'font-family:Menlo,Consolas,monospace;',
    hr: 'border:none;border-top:1px solid #e1e4e8;margin:.8em 0;',
    tablewrap: 'overflow-x:auto;margin:.4em 0;',
    table: 'border-collapse:collapse;font-size:.92em;',
    th: 'border:1px solid #d0d7de;padding:.3em .5em;background:#f6f8fa;font-weight:bold;',
    td: 'border:1px solid #d0d7de;padding:.3em .5em;',
    a: 'color:#576b95;',
    url: 'color:#8c8c8c;font-size:.85em;word-break:break-all;',
    img: 'color:#8c8c8c;',
    del: 'color:#8c8c8c;',
    row: 'margin:.2em 0;',
  }
  /** deeper quotes / lists than this are shown as text: bounded recursion on hostile input */
  var MAX_DEPTH = 8
  /**
   * a link's text is searched for its `]` this far and no further (CommonMark caps labels at
   * 999 too): without a cap, a run of unclosed `[` rescans to the end for each one (quadratic)
   */
  var MAX_LINK_TEXT = 1000
  var ESCAPABLE = /[\\`*_{}\[\]()#+\-.!|~<>"']/

  function escapeText(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
  }

  function textNode(text) {
    return { type: 'text', text: escapeText(text) }
  }

  function el(name, children, styleKey, extraAttrs) {
    var attrs = { class: 'md-' + (styleKey || name), style: STYLES[styleKey || name] || '' }
    if (extraAttrs) for (var key in extraAttrs) attrs[key] = extraAttrs[key]
    return { name: name, attrs: attrs, children: children || [] }
  }


  /**
   * One left-to-right pass: plain text accumulates in `buf`; a delimiter with a matching
   * closer becomes an element, one without stays literal text. `noCloser[delim]` is the
   * position from which a delimiter is known to have no closer, so a text full of `*` does
   * not search to its end again and again. Nesting deeper than MAX_DEPTH stays text.
   */
  function parseInline(text, depth) {
    depth = depth || 0
    if (depth > MAX_DEPTH) return text ? [textNode(text)] : []
    var noCloser = {}
    var out = []
    var buf = ''
    var i = 0
    function flush() {
      if (!buf) return
      var parts = buf.split('\n')
      for (var p = 0; p < parts.length; p++) {
        if (p > 0) out.push({ name: 'br', attrs: {}, children: [] })
        if (parts[p]) out.push(textNode(parts[p]))
      }
      buf = ''
    }
    while (i < text.length) {
      var c = text.charAt(i)
      if (c === '\\' && ESCAPABLE.test(text.charAt(i + 1))) {
        buf += text.charAt(i + 1)
        i += 2
        continue
      }
      if (c === '`') {
        var run = /^`+/.exec(text.slice(i))[0]
        var close = findCodeClose(text, i + run.length, run.length)
        if (close < 0) {
          buf += run
          i += run.length
          continue
        }
        var code = text.slice(i + run.length, close).replace(/\n/g, ' ')
        if (/^ .*[^ ] $/.test(code)) code = code.slice(1, -1)
        flush()
        out.push(el('code', [textNode(code)]))
        i = close + run.length
        continue
      }
      if ((c === '!' && text.charAt(i + 1) === '[') || c === '[') {
        var link = parseLink(text, c === '!' ? i + 1 : i)
        if (link) {
          flush()
          if (c === '!') out.push(el('span', [textNode('[图片' + (link.label ? '：' + link.label : '') + '] ' + link.url)], 'img'))
          else out.push.apply(out, linkNodes(link, depth))
          i = link.end
          continue
        }
      }
      if (c === '<') {
        var br = /^<br\s*\/?>/i.exec(text.slice(i))
        if (br) {
          flush()
          out.push({ name: 'br', attrs: {}, children: [] })
          i += br[0].length
          continue
        }
        var auto = /^<(https?:\/\/[^\s<>]+)>/.exec(text.slice(i))
        if (auto) {
          flush()
          out.push(el('a', [textNode(auto[1])]))
          i += auto[0].length
          continue
        }
      }
      if (c === '*' || c === '_' || c === '~') {
        var span = emphasis(text, i, noCloser, depth)
        if (span) {
          flush()
          out.push(span.node)
          i = span.end
          continue
        }
        var same = /^([*_~])\1*/.exec(text.slice(i))[0]
        buf += same
        i += same.length
        continue
      }
      buf += c
      i++
    }
    flush()
    return out
  }

  function findCodeClose(text, from, length) {
    var re = /`+/g
    re.lastIndex = from
    var m
    while ((m = re.exec(text))) if (m[0].length === length) return m.index
    return -1
  }

  function parseLink(text, at) {
    var depth = 0
    var j = at
    var limit = Math.min(text.length, at + MAX_LINK_TEXT + 1)
    for (; j < limit; j++) {
      var ch = text.charAt(j)
      if (ch === '\\') j++
      else if (ch === '[') depth++
      else if (ch === ']' && --depth === 0) break
    }
    if (j >= limit || text.charAt(j + 1) !== '(') return null
    var m = /^\(\s*<?([^\s()<>]*)>?(?:\s+"[^"]*")?\s*\)/.exec(text.slice(j + 1))
    if (!m) return null
    return { label: text.slice(at + 1, j), url: m[1], end: j + 1 + m[0].length }
  }

  function linkNodes(link, depth) {
    var nodes = [el('a', parseInline(link.label, depth + 1))]
    // rich-text blocks taps on links: show where it goes, so the user can copy it
    if (/^https?:\/\//i.test(link.url) && link.url !== link.label) nodes.push(el('span', [textNode(' ' + link.url)], 'url'))
    return nodes
  }

  function emphasis(text, i, noCloser, depth) {
    var run = /^([*_~])\1*/.exec(text.slice(i))[0]
    var ch = run.charAt(0)
    var before = i > 0 ? text.charAt(i - 1) : ' '
    var after = text.charAt(i + run.length)
    if (!after || /\s/.test(after)) return null
    // snake_case and 2*3*4 are not emphasis
    if (ch === '_' && /[0-9A-Za-z]/.test(before)) return null
    if (ch === '*' && /[0-9]/.test(before) && /[0-9]/.test(after)) return null
    var size = ch === '~' ? (run.length >= 2 ? 2 : 0) : Math.min(run.length, 3)
    if (!size || run.length > 3) return null
    var delim = run.slice(0, size)
    var from = i + size
    if (noCloser[delim] !== undefined && from >= noCloser[delim]) return null
    for (;;) {
      var at = text.indexOf(delim, from)
      if (at < 0) {
        noCloser[delim] = i + size
        return null
      }
      var prev = text.charAt(at - 1)
      var next = text.charAt(at + size)
      var ok = at > i + size && !/\s/.test(prev) && next !== ch && prev !== ch
      if (ok && ch === '_' && /[0-9A-Za-z]/.test(next)) ok = false
      if (ok) {
        var inner = parseInline(text.slice(i + size, at), depth + 1)
        var node = size === 3 ? el('strong', [el('em', inner)]) : size === 2 ? el(ch === '~' ? 'del' : 'strong', inner) : el('em', inner)
        return { node: node, end: at + size }
      }
      from = at + 1
    }
  }

  return { parseInline: parseInline, el: el, textNode: textNode, escapeText: escapeText, STYLES: STYLES, MAX_DEPTH: MAX_DEPTH }
})

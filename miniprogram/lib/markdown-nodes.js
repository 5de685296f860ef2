/**
 * Markdown → `<rich-text nodes>` for AI answers.
 *
 * Why nodes and not an HTML string: rich-text parses strings itself (slower, says the doc)
 * and would turn any `<tag>` the model echoes into markup. Here every piece of the answer is
 * a text node whose text is HTML-escaped (rich-text text nodes "support entities"), and the
 * only elements are the ones built below, all on rich-text's trusted list, with only `class`,
 * `style` and `start` attributes. Untrusted HTML in an answer therefore shows as text.
 *
 * Covers what models write: headings, paragraphs (a single newline is a line break, as chat
 * readers expect), **bold**, *italic*, ~~strike~~, `code`, fenced code blocks (an unclosed
 * fence while streaming runs to the end), > quotes, nested - / 1. lists, task items,
 * GFM tables, --- rules, links (not clickable inside rich-text: shown with their URL) and
 * images (shown as text: loading model-chosen URLs would leak data to whoever chose them).
 * Tables degrade: `table: 'text'` renders rows as lines, for Skyline, which has no table tags.
 * Also loaded by the browser console (/console/lib/markdown-nodes.js), hence the wrapper.
 *
 * @example
 * toNodes('# 标题\n- **一**\n- 二')
 * // [{ name: 'h1', attrs: {…}, children: [{ type: 'text', text: '标题' }] }, { name: 'ul', … }]
 */
;(function (factory) {
  var api = factory()
  if (typeof module === 'object' && module && module.exports) module.exports = api
  else if (typeof self !== 'undefined') self.WagMarkdown = api
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

  var FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/
  var HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$/
  var HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/
  var QUOTE = /^ {0,3}> ?/
  var LIST = /^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)/
  var TABLE_SEP = /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/
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

  function isBlank(line) {
    return /^\s*$/.test(line)
  }

  function indentOf(line) {
    var m = /^ */.exec(line.replace(/\t/g, '    '))
    return m[0].length
  }

  function isTableStart(lines, i) {
    if (lines[i].indexOf('|') < 0 || i + 1 >= lines.length || !TABLE_SEP.test(lines[i + 1])) return false
    // GFM: the delimiter row has as many cells as the header, so "a | b" over "---" is no table
    return splitRow(lines[i]).length === splitRow(lines[i + 1]).length
  }

  /** Lines that end a paragraph without a blank line before them. */
  function startsBlock(lines, i) {
    var line = lines[i]
    return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || LIST.test(line) || isTableStart(lines, i)
  }

  // ---------------------------------------------------------------- blocks

  function parseBlocks(lines, opts, depth) {
    var out = []
    var i = 0
    while (i < lines.length) {
      var line = lines[i]
      if (isBlank(line)) {
        i++
        continue
      }
      var m
      if ((m = FENCE.exec(line))) {
        i = codeBlock(lines, i, m, out)
        continue
      }
      if ((m = HEADING.exec(line))) {
        out.push(el('h' + m[1].length, parseInline(m[2] || '')))
        i++
        continue
      }
      if (HR.test(line)) {
        out.push(el('hr'))
        i++
        continue
      }
      if (depth < MAX_DEPTH && QUOTE.test(line)) {
        var quoted = []
        while (i < lines.length && QUOTE.test(lines[i])) quoted.push(lines[i++].replace(QUOTE, ''))
        out.push(el('blockquote', parseBlocks(quoted, opts, depth + 1)))
        continue
      }
      if (depth < MAX_DEPTH && LIST.test(line)) {
        i = list(lines, i, opts, depth, out)
        continue
      }
      if (isTableStart(lines, i)) {
        i = table(lines, i, opts, out)
        continue
      }
      var para = [line]
      i++
      while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines, i)) para.push(lines[i++])
      out.push(el('p', parseInline(para.map(function (l) { return l.replace(/^\s+/, '') }).join('\n'))))
    }
    return out
  }

  function codeBlock(lines, i, open, out) {
    var marker = open[1]
    var body = []
    i++
    while (i < lines.length) {
      var close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[i])
      if (close && close[1].charAt(0) === marker.charAt(0) && close[1].length >= marker.length) {
        i++
        break
      }
      body.push(lines[i++])
    }
    var lang = open[2] ? { class: 'md-precode language-' + open[2].replace(/[^\w+#-]/g, '') } : null
    out.push(el('pre', [el('code', [textNode(body.join('\n'))], 'precode', lang)]))
    return i
  }

  function list(lines, i, opts, depth, out) {
    var first = LIST.exec(lines[i])
    var baseIndent = first[1].length
    var ordered = /\d/.test(first[2])
    var items = []
    while (i < lines.length) {
      var m = LIST.exec(lines[i])
      if (!m || m[1].length !== baseIndent || /\d/.test(m[2]) !== ordered) break
      var contentIndent = m[0].length
      var body = [lines[i].slice(m[0].length)]
      i++
      while (i < lines.length) {
        var line = lines[i]
        if (isBlank(line)) {
          // a blank line continues the item only if indented content follows…
          var next = i + 1 < lines.length ? lines[i + 1] : ''
          if (!isBlank(next) && indentOf(next) > baseIndent) {
            body.push('')
            i++
            continue
          }
          // …and the list itself if the next item follows (a "loose" list stays one list)
          var sibling = LIST.exec(next)
          if (sibling && sibling[1].length === baseIndent && /\d/.test(sibling[2]) === ordered) i++
          break
        }
        var sub = LIST.exec(line)
        if (sub && sub[1].length <= baseIndent) break
        if (!sub && indentOf(line) <= baseIndent && startsBlock(lines, i)) break
        var strip = Math.min(indentOf(line), contentIndent)
        body.push(line.replace(/\t/g, '    ').slice(strip))
        i++
      }
      items.push(listItem(body, opts, depth))
    }
    var start = ordered ? parseInt(first[2], 10) : 1
    out.push(el(ordered ? 'ol' : 'ul', items, null, ordered && start !== 1 ? { start: String(start) } : null))
    return i
  }

  function listItem(body, opts, depth) {
    var task = /^\[([ xX])\][ \t]+/.exec(body[0])
    if (task) body[0] = body[0].slice(task[0].length)
    var children = parseBlocks(body, opts, depth + 1)
    // a tight item's single paragraph is shown inline, as browsers do
    if (children.length && children[0].name === 'p') {
      var firstPara = children.shift()
      children = firstPara.children.concat(children)
    }
    if (task) children.unshift(textNode(task[1] === ' ' ? '☐ ' : '☑ '))
    return el('li', children)
  }

  function splitRow(line) {
    var text = line.trim()
    if (text.charAt(0) === '|') text = text.slice(1)
    if (text.charAt(text.length - 1) === '|' && text.charAt(text.length - 2) !== '\\') text = text.slice(0, -1)
    var cells = []
    var cell = ''
    var inCode = false
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i)
      if (c === '\\' && text.charAt(i + 1) === '|') {
        cell += '|'
        i++
      } else if (c === '`') {
        inCode = !inCode
        cell += c
      } else if (c === '|' && !inCode) {
        cells.push(cell.trim())
        cell = ''
      } else cell += c
    }
    cells.push(cell.trim())
    return cells
  }

  function table(lines, i, opts, out) {
    var header = splitRow(lines[i])
    var aligns = splitRow(lines[i + 1]).map(function (spec) {
      var left = spec.charAt(0) === ':'
      var right = spec.charAt(spec.length - 1) === ':'
      return left && right ? 'center' : right ? 'right' : left ? 'left' : ''
    })
    var rows = []
    i += 2
    while (i < lines.length && !isBlank(lines[i]) && lines[i].indexOf('|') >= 0) rows.push(splitRow(lines[i++]))
    var width = header.length
    function cells(row) {
      var out = []
      for (var c = 0; c < width; c++) out.push(c < row.length ? row[c] : '')
      return out
    }
    if (opts.table === 'text') {
      var lineNodes = [el('p', [el('strong', parseInline(header.join(' ｜ ')))], 'row')]
      rows.forEach(function (row) {
        lineNodes.push(el('p', parseInline(cells(row).join(' ｜ ')), 'row'))
      })
      out.push(el('div', lineNodes, 'tablewrap'))
      return i
    }
    function cellNode(tag, text, c) {
      var node = el(tag, parseInline(text))
      if (aligns[c]) node.attrs.style += 'text-align:' + aligns[c] + ';'
      return node
    }
    var head = el('thead', [el('tr', header.map(function (text, c) { return cellNode('th', text, c) }))])
    var bodyRows = rows.map(function (row) {
      return el('tr', cells(row).map(function (text, c) { return cellNode('td', text, c) }))
    })
    out.push(el('div', [el('table', [head, el('tbody', bodyRows)])], 'tablewrap'))
    return i
  }

  // ---------------------------------------------------------------- inline

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
    for (; j < text.length; j++) {
      var ch = text.charAt(j)
      if (ch === '\\') j++
      else if (ch === '[') depth++
      else if (ch === ']' && --depth === 0) break
    }
    if (j >= text.length || text.charAt(j + 1) !== '(') return null
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

  /**
   * @param {string} markdown the answer so far (streaming: called again as it grows)
   * @param {{table?: 'table'|'text'}} [options]
   * @returns {Array<object>} rich-text nodes
   */
  function toNodes(markdown, options) {
    var opts = options || {}
    var text = typeof markdown === 'string' ? markdown : ''
    return parseBlocks(text.replace(/\r\n?/g, '\n').split('\n'), opts, 0)
  }

  return { toNodes: toNodes, escapeText: escapeText, STYLES: STYLES }
})

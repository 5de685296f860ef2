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
  // the mini-program requires its half; the browser console loaded it as a script before this one
  var inline = typeof require === 'function' ? require('./markdown-inline.js') : self.WagMarkdownInline
  var api = factory(inline)
  if (typeof module === 'object' && module && module.exports) module.exports = api
  else if (typeof self !== 'undefined') self.WagMarkdown = api
})(function (inline) {
  var parseInline = inline.parseInline
  var el = inline.el
  var textNode = inline.textNode
  var MAX_DEPTH = inline.MAX_DEPTH

  var FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/
  var HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$/
  var HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/
  var QUOTE = /^ {0,3}> ?/
  var LIST = /^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)/
  var TABLE_SEP = /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/

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


  return { toNodes: toNodes, escapeText: inline.escapeText, STYLES: inline.STYLES }
})

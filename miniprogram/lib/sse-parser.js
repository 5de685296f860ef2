/**
 * An incremental parser for the gateway's event stream (`data: <JSON>\n\n`, protocol §7).
 * Feed it decoded text in pieces of any size; it calls `onEvent({ event, data })` once per
 * complete event. Follows the EventSource rules that matter here: CRLF/CR/LF line ends,
 * several `data:` lines joined with "\n", one optional space after the colon, `:` comments
 * ignored, and an event cut off by the end of the stream is dropped, not guessed at.
 *
 * @example
 * var p = createSseParser(function (e) { console.log(JSON.parse(e.data).type) })
 * p.push('data: {"type":"chat_de')
 * p.push('lta"}\n\n') // logs chat_delta
 */
function createSseParser(onEvent) {
  var buffer = ''
  var data = []
  var event = ''

  function line(text) {
    if (text === '') {
      if (data.length) onEvent({ event: event || 'message', data: data.join('\n') })
      data = []
      event = ''
      return
    }
    if (text.charAt(0) === ':') return
    var colon = text.indexOf(':')
    var field = colon < 0 ? text : text.slice(0, colon)
    var value = colon < 0 ? '' : text.slice(colon + 1)
    if (value.charAt(0) === ' ') value = value.slice(1)
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
  }

  function push(text) {
    buffer += text
    for (;;) {
      var match = /\r\n|\r|\n/.exec(buffer)
      if (!match) break
      // a lone CR at the very end may be the first half of CRLF: wait for more
      if (match[0] === '\r' && match.index === buffer.length - 1) break
      line(buffer.slice(0, match.index))
      buffer = buffer.slice(match.index + match[0].length)
    }
  }

  /** End of stream: whatever is unfinished is discarded (it may be half an event). */
  function end() {
    var dropped = buffer.length > 0 || data.length > 0
    buffer = ''
    data = []
    event = ''
    return dropped
  }

  return { push: push, end: end }
}

module.exports = { createSseParser: createSseParser }

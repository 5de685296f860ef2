/**
 * A streaming UTF-8 decoder for wx.request chunks. Phones have no TextDecoder (DevTools does,
 * which hides the bug), and a chunk boundary can fall inside a Chinese character, so bytes of
 * an unfinished character are carried over to the next write.
 *
 * This is the WHATWG "UTF-8 decoder" algorithm (replacement mode), byte for byte, so its
 * output equals `new TextDecoder().decode(bytes, { stream: true })`, including U+FFFD for
 * malformed input.
 *
 * @example
 * var d = createUtf8Decoder()
 * d.write(new Uint8Array([0xe4, 0xbd])) // ''
 * d.write(new Uint8Array([0xa0]))       // '你'
 * d.end()                               // ''
 */
var REPLACEMENT = 0xfffd

function createUtf8Decoder() {
  var codePoint = 0
  var seen = 0
  var needed = 0
  var lower = 0x80
  var upper = 0xbf

  function reset() {
    codePoint = 0
    seen = 0
    needed = 0
    lower = 0x80
    upper = 0xbf
  }

  /** @param {ArrayBuffer|Uint8Array} chunk */
  function write(chunk) {
    var bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk)
    var units = []
    var out = ''
    for (var i = 0; i < bytes.length; i++) {
      var byte = bytes[i]
      if (needed === 0) {
        if (byte <= 0x7f) units.push(byte)
        else if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1
          codePoint = byte & 0x1f
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0
          if (byte === 0xed) upper = 0x9f
          needed = 2
          codePoint = byte & 0x0f
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90
          if (byte === 0xf4) upper = 0x8f
          needed = 3
          codePoint = byte & 0x07
        } else units.push(REPLACEMENT)
      } else if (byte < lower || byte > upper) {
        // the sequence broke off: one U+FFFD, then this byte starts afresh
        reset()
        units.push(REPLACEMENT)
        i--
      } else {
        lower = 0x80
        upper = 0xbf
        codePoint = (codePoint << 6) | (byte & 0x3f)
        seen++
        if (seen === needed) {
          if (codePoint > 0xffff) {
            codePoint -= 0x10000
            units.push(0xd800 + (codePoint >> 10), 0xdc00 + (codePoint & 0x3ff))
          } else units.push(codePoint)
          reset()
        }
      }
      // String.fromCharCode.apply has an argument limit: flush in slices
      if (units.length >= 4096) {
        out += String.fromCharCode.apply(null, units)
        units = []
      }
    }
    return out + (units.length ? String.fromCharCode.apply(null, units) : '')
  }

  /** The stream ended: an unfinished character becomes one U+FFFD. */
  function end() {
    var pending = needed !== 0
    reset()
    return pending ? String.fromCharCode(REPLACEMENT) : ''
  }

  return { write: write, end: end }
}

module.exports = { createUtf8Decoder: createUtf8Decoder }

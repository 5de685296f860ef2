/**
 * Incremental Server-Sent Events decoder (the WHATWG "event stream" rules a model service
 * speaks): text goes in as it arrives, split anywhere; each complete event's data comes out.
 *
 * - Lines end in LF, CRLF or a lone CR — a CRLF split across two chunks counts once.
 * - `:` lines are comments (proxies send `: keep-alive`); fields other than `data` and `event`
 *   are ignored; several `data:` lines of one event are joined with "\n".
 * - An event is dispatched at its blank line; one without data is not dispatched, and an event
 *   cut off by the end of the stream is dropped (as the SDK's decoder and browsers do).
 *
 * Built for the streaming hot path: a chunk in the usual shape (`data: {…}\n\n`) costs two
 * `indexOf` and one `slice`, and events are handed to a callback, not collected in arrays.
 *
 * @example
 * const sse = new SseDecoder((data) => handle(JSON.parse(data)));
 * response.setEncoding('utf8').on('data', (text) => sse.push(text));
 */
export class SseDecoder {
  /** a line not yet ended */
  private rest = '';
  /** the last chunk ended in CR: an LF opening the next one belongs to that line end */
  private skipLf = false;
  private data: string | undefined;
  private event: string | undefined;

  constructor(private readonly onEvent: (data: string, event: string | undefined) => void) {}

  /** Feeds decoded text (a StringDecoder's output: no split UTF-8 sequences). */
  push(chunk: string): void {
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    // Nearly every service ends lines in LF alone: look for CR only when the text has one.
    const hasCr = text.indexOf('\r', start) >= 0;
    for (;;) {
      let end = text.indexOf('\n', start);
      if (hasCr) {
        const cr = text.indexOf('\r', start);
        if (cr >= 0 && (end < 0 || cr < end)) end = cr;
      }
      if (end < 0) break;
      this.line(text, start, end);
      if (text.charCodeAt(end) === CR) {
        if (end + 1 === text.length) {
          this.skipLf = true;
          start = end + 1;
          break;
        }
        start = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
    }
    this.rest = start === 0 ? text : text.slice(start);
  }

  /** One complete line, `text[start, end)`. */
  private line(text: string, start: number, end: number): void {
    if (start === end) {
      // blank line: dispatch
      const data = this.data;
      const event = this.event;
      this.data = undefined;
      this.event = undefined;
      if (data !== undefined) this.onEvent(data, event);
      return;
    }
    if (text.charCodeAt(start) === COLON) return; // comment / keep-alive
    const colon = text.indexOf(':', start);
    const nameEnd = colon >= 0 && colon < end ? colon : end;
    let valueStart = nameEnd === end ? end : nameEnd + 1;
    if (text.charCodeAt(valueStart) === SPACE && valueStart < end) valueStart += 1;
    const name = text.slice(start, nameEnd);
    if (name === 'data') {
      const value = text.slice(valueStart, end);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    } else if (name === 'event') {
      this.event = text.slice(valueStart, end);
    }
  }
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

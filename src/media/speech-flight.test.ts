import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechFlight, synthesizePieces } from './speech-flight.js';
import type { SpeechSynthesizer } from './tts/speech-synthesizer.js';

/** Records what a listener heard. */
function listen(flight: SpeechFlight) {
  const heard = { bytes: [] as Buffer[], ended: false, error: undefined as unknown };
  flight.subscribe({ data: (b) => heard.bytes.push(b), end: () => (heard.ended = true), error: (e) => (heard.error = e) });
  return heard;
}

describe('SpeechFlight', () => {
  it('gives a listener that joins late everything from the first byte, then what follows', async () => {
    let push!: (b: Buffer) => void;
    let finish!: () => void;
    const flight = new SpeechFlight((p) => {
      push = p;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const early = listen(flight);
    push(Buffer.from('ab'));
    const late = listen(flight);
    push(Buffer.from('cd'));
    finish();
    assert.equal((await flight.audio).toString(), 'abcd');
    assert.equal(Buffer.concat(early.bytes).toString(), 'abcd');
    assert.equal(Buffer.concat(late.bytes).toString(), 'abcd');
    assert.ok(early.ended && late.ended);
    const after = listen(flight);
    assert.equal(Buffer.concat(after.bytes).toString(), 'abcd', 'a flight that ended still replays');
    assert.ok(after.ended);
  });

  it('tells every listener of a failure, and rejects its audio', async () => {
    const failure = new Error('provider down');
    const flight = new SpeechFlight(async (push) => {
      push(Buffer.from('x'));
      await Promise.resolve();
      throw failure;
    });
    const heard = listen(flight);
    await assert.rejects(flight.audio, failure);
    assert.equal(heard.error, failure);
    assert.equal(heard.ended, false);
    assert.equal(listen(flight).error, failure);
  });
});

describe('synthesizePieces', () => {
  it('joins the pieces in order and drops the ID3 tag of every piece after the first, even split across chunks', async () => {
    // ID3v2 header: "ID3", version, flags, syncsafe size 4 → a 14-byte tag
    const tag = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
    const frames = (n: number) => Buffer.alloc(6, n);
    const tts: SpeechSynthesizer = {
      model: 'm',
      voice: 'v',
      format: 'mp3',
      async *synthesize(text) {
        const whole = Buffer.concat([tag, frames(Number(text))]);
        yield whole.subarray(0, 10);
        yield whole.subarray(10, 12);
        yield whole.subarray(12);
      },
    };
    const out: Buffer[] = [];
    await synthesizePieces(tts, ['1', '2', '3'], (b) => out.push(b));
    assert.deepEqual(Buffer.concat(out), Buffer.concat([tag, frames(1), frames(2), frames(3)]));
  });
});

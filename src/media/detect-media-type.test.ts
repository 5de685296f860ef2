import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectMediaType, truncationProblem } from './detect-media-type.js';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

test('recognises each accepted format by its first bytes', () => {
  const cases: Array<[Buffer, string | undefined]> = [
    [bytes([0x89], 'PNG\r\n\x1a\n'), 'image/png'],
    [bytes([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
    [bytes('GIF89a'), 'image/gif'],
    [bytes('GIF87a'), 'image/gif'],
    [bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    [bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '), 'audio/wav'],
    [bytes('#!AMR\n', [0x3c]), 'audio/amr'],
    [bytes('#!SILK_V3', [1, 0]), 'audio/silk'],
    [bytes([0x02], '#!SILK_V3'), 'audio/silk'],
    [bytes([0, 0, 0, 0x1c], 'ftypM4A ', [0, 0, 2, 0]), 'audio/mp4'],
    [bytes('ID3', [4, 0, 0]), 'audio/mpeg'],
    // MPEG-1 Layer III, 128 kbps, 44.1 kHz
    [bytes([0xff, 0xfb, 0x90, 0x64]), 'audio/mpeg'],
    // ADTS, AAC LC, 22.05 kHz
    [bytes([0xff, 0xf1, 0x5c, 0x40]), 'audio/aac'],
  ];
  for (const [head, mime] of cases) assert.equal(detectMediaType(head)?.mime, mime, head.toString('hex'));
});

test('refuses look-alikes and everything else', () => {
  const refused = [
    bytes('<!doctype html><html>'),
    bytes('%PDF-1.7'),
    bytes('PK', [3, 4]), // zip, docx
    bytes('RIFF', [0, 0, 0, 0], 'AVI LIST'),
    bytes([0, 0, 0, 0x18], 'ftypqt  '), // QuickTime
    bytes([0xff, 0xfb, 0xf0, 0x64]), // MPEG sync with the "bad" bitrate index 15
    bytes([0xff, 0xfb, 0x9c, 0x64]), // reserved sample rate
    bytes('#!AMR-WB\n'), // wideband: frame table not implemented, refused rather than misread
    bytes([0x89], 'PN'), // too short to be sure
    Buffer.alloc(0),
  ];
  for (const head of refused) assert.equal(detectMediaType(head), undefined, head.toString('hex'));
  assert.equal(detectMediaType(bytes([0, 0, 0, 0x18], 'ftypisom'))?.needsAudioCheck, true, 'a generic ISO file is checked for video');
});

test('spots files cut short from their head, tail and size', () => {
  const png = detectMediaType(bytes([0x89], 'PNG\r\n\x1a\n'))!;
  const head = bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR', Array(40).fill(0));
  const iend = bytes([0, 0, 0, 0], 'IEND', [0xae, 0x42, 0x60, 0x82]);
  assert.match(truncationProblem(png, head, bytes([1, 2, 3, 4]), 200)!, /不完整/, 'a tail too short to hold IEND');
  assert.match(truncationProblem(png, head, Buffer.concat([Buffer.alloc(4), iend]), 40)!, /不完整/, 'too small for IHDR + IEND');
  assert.match(truncationProblem(png, head, bytes(Array(16).fill(7)), 200)!, /不完整/);
  assert.equal(truncationProblem(png, head, Buffer.concat([Buffer.alloc(4), iend]), 200), undefined);
  const wav = detectMediaType(bytes('RIFF', [0, 0, 0, 0], 'WAVE'))!;
  const wavHead = (size: number) => Buffer.concat([bytes('RIFF'), Buffer.from(Uint32Array.of(size).buffer), bytes('WAVE'), Buffer.alloc(40)]);
  assert.equal(truncationProblem(wav, wavHead(992), Buffer.alloc(16), 1000), undefined);
  assert.match(truncationProblem(wav, wavHead(5000), Buffer.alloc(16), 1000)!, /不完整/);
  assert.equal(truncationProblem(wav, wavHead(0xffffffff), Buffer.alloc(16), 1000), undefined, 'streamed WAV without a patched size');
});

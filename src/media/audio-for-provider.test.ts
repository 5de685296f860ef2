import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { speechMp3, speechSilk, speechWav } from '../../test/support/real-media.js';
import { audioForProvider, audioSeconds } from './audio-for-provider.js';
import { detectFfmpeg } from './ffmpeg.js';
import { TranscribeError } from './transcribe-error.js';

const signal = new AbortController().signal;
const none = { convert: new Set<string>(), ffmpeg: undefined };

describe('audioForProvider', () => {
  it('passes mp3 through with a file name the provider recognises', async () => {
    const mp3 = speechMp3('你好');
    const out = await audioForProvider(mp3, 'audio/mpeg', none, signal);
    assert.ok(out.data.equals(mp3));
    assert.deepEqual([out.mime, out.filename], ['audio/mpeg', 'voice.mp3']);
  });

  it('decodes WeChat silk to 16 kHz WAV without ffmpeg, keeping its length', async () => {
    const wav = speechWav('退货政策是什么');
    const silk = await speechSilk('退货政策是什么');
    assert.equal(silk[0], 0x02, 'WeChat silk starts with 0x02 #!SILK_V3');
    const out = await audioForProvider(silk, 'audio/silk', none, signal);
    assert.equal(out.mime, 'audio/wav');
    assert.equal(out.data.toString('latin1', 0, 4), 'RIFF');
    assert.ok(Math.abs((await audioSeconds(out.data, 'audio/wav')) - (await audioSeconds(wav, 'audio/wav'))) <= 1);
    assert.equal(await audioSeconds(silk, 'audio/silk'), await audioSeconds(wav, 'audio/wav'));
  });

  it('converts a listed format with ffmpeg, and refuses it when ffmpeg is missing', async () => {
    const ffmpeg = await detectFfmpeg();
    assert.ok(ffmpeg, 'ffmpeg (Debian package) must be installed for this test');
    const mp3 = speechMp3('你好');
    const out = await audioForProvider(mp3, 'audio/mpeg', { convert: new Set(['audio/mpeg']), ffmpeg: 'ffmpeg' }, signal);
    assert.deepEqual([out.mime, out.data.toString('latin1', 8, 12)], ['audio/wav', 'WAVE']);
    await assert.rejects(audioForProvider(mp3, 'audio/mpeg', { convert: new Set(['audio/mpeg']), ffmpeg: undefined }, signal), (error) => TranscribeError.is(error) && error.kind === 'unsupported_format');
    await assert.rejects(audioForProvider(Buffer.from('#!AMR\nnot really'), 'audio/amr', { convert: new Set(['audio/amr']), ffmpeg: 'ffmpeg' }, signal), (error) => TranscribeError.is(error) && error.kind === 'unsupported_format');
  });

  it('says no ffmpeg for a binary that does not exist', async () => {
    assert.equal(await detectFfmpeg('/nonexistent/ffmpeg'), undefined);
  });

  it('measures WAV, MP3 and AMR, and estimates what it cannot read from its size', async () => {
    const wav = speechWav('退货政策是什么');
    const seconds = await audioSeconds(wav, 'audio/wav');
    assert.ok(seconds >= 2 && seconds <= 5, `${seconds} s`);
    // the encoder pads a few ms, which may cross a whole second
    const mp3 = await audioSeconds(speechMp3('退货政策是什么'), 'audio/mpeg');
    assert.ok(mp3 === seconds || mp3 === seconds + 1, `${mp3} s for ${seconds} s of WAV`);
    // 150 frames of AMR-NB 12.2 kbps (1 + 31 bytes each) = 3 s
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), ...Array.from({ length: 150 }, () => Buffer.concat([Buffer.from([0x3c]), Buffer.alloc(31, 1)]))]);
    assert.equal(await audioSeconds(amr, 'audio/amr'), 3);
    assert.equal(await audioSeconds(Buffer.alloc(60_000), 'audio/mpeg'), 10);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SpeechUrlSigner } from './speech-url-signer.js';

describe('SpeechUrlSigner', () => {
  const key = randomBytes(32);
  let now = 1_800_000_000_000;
  const signer = new SpeechUrlSigner(key, 600_000, () => now);

  it('verifies its own token for the same answer and names the openid', () => {
    const { token, expiresAt } = signer.sign('answer-1', 'o6_user');
    assert.equal(expiresAt, now + 600_000);
    assert.deepEqual(signer.verify(token, 'answer-1'), { openid: 'o6_user' });
    assert.doesNotMatch(token, /[^A-Za-z0-9_.-]/, 'safe in a query string as is');
  });

  it('refuses the token for another answer, a changed openid or expiry, and another key', () => {
    const { token } = signer.sign('answer-1', 'o6_user');
    assert.equal(signer.verify(token, 'answer-2'), 'invalid');
    const [v, exp, , mac] = token.split('.');
    const otherUser = Buffer.from('o6_other').toString('base64url');
    assert.equal(signer.verify(`${v}.${exp}.${otherUser}.${mac}`, 'answer-1'), 'invalid');
    const later = (parseInt(exp!, 36) + 3600).toString(36);
    assert.equal(signer.verify(token.replace(`.${exp}.`, `.${later}.`), 'answer-1'), 'invalid');
    assert.equal(new SpeechUrlSigner(randomBytes(32), 600_000, () => now).verify(token, 'answer-1'), 'invalid');
  });

  it('says expired once the time has passed, and only for a genuine token', () => {
    const { token } = signer.sign('answer-1', 'o6_user');
    now += 600_001;
    assert.equal(signer.verify(token, 'answer-1'), 'expired');
    assert.equal(signer.verify(`${token}x`, 'answer-1'), 'invalid');
    now -= 600_001;
  });

  it('treats malformed tokens as invalid without throwing', () => {
    for (const bad of ['', 'v1', 'v1...', 'v2.a.b.c', 'v1.zzzzzzzzzzzzz.b.c', 'v1.1.!!.c', `v1.1.${'a'.repeat(600)}.c`, 'v1.1.YQ.短']) {
      assert.equal(signer.verify(bad, 'answer-1'), 'invalid', bad);
    }
  });

  it('refuses a key shorter than 32 bytes', () => {
    assert.throws(() => new SpeechUrlSigner(Buffer.alloc(16), 1000), /32 bytes/);
  });
});

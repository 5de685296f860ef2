import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushSignature, verifyPushSignature } from './push-signature.js';

describe('pushSignature', () => {
  it('is the SHA1 of the sorted token, timestamp and nonce (WeChat’s documented example shape)', () => {
    // sorted: '1409304348' < '352948495' < 'token'; sha1('1409304348352948495token') computed independently (Python hashlib)
    assert.equal(pushSignature('token', '1409304348', '352948495'), 'f7789f6b5a93e695c90decc9f2a512f54be45f0a');
    assert.equal(pushSignature('token', '352948495', '1409304348'), 'f7789f6b5a93e695c90decc9f2a512f54be45f0a', 'order does not matter');
  });

  it('verifies the right signature and refuses a wrong token, a changed nonce, missing or odd fields', () => {
    const signature = pushSignature('tok', '1700000000', 'abc');
    assert.equal(verifyPushSignature('tok', { signature, timestamp: '1700000000', nonce: 'abc' }), true);
    assert.equal(verifyPushSignature('other', { signature, timestamp: '1700000000', nonce: 'abc' }), false);
    assert.equal(verifyPushSignature('tok', { signature, timestamp: '1700000000', nonce: 'abd' }), false);
    assert.equal(verifyPushSignature('tok', { timestamp: '1700000000', nonce: 'abc' }), false);
    assert.equal(verifyPushSignature('tok', { signature: [signature], timestamp: '1700000000', nonce: 'abc' }), false);
    assert.equal(verifyPushSignature('tok', { signature: 'x', timestamp: '1700000000', nonce: 'abc' }), false);
  });
});

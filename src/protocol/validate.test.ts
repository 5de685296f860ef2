import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { validate } from './validate.js';

const schema = z.object({
  name: z.string().min(2).max(4),
  count: z.number().int().min(1).max(9).optional(),
  kind: z.enum(['a', 'b']).optional(),
  list: z.array(z.number()).max(1).optional(),
  own: z.string({ error: 'own 自己的说法' }).optional(),
});

const message = (value: unknown) => {
  const result = validate(schema, value, 'body');
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error.message;
};

describe('validate: bad_message in Chinese, naming the first bad field', () => {
  it('says every issue in Chinese', () => {
    assert.equal(message({}), '字段 name 无效：缺少这个字段');
    assert.equal(message({ name: 1 }), '字段 name 无效：应为字符串');
    assert.equal(message({ name: 'x' }), '字段 name 无效：至少 2 个字符');
    assert.equal(message({ name: 'xxxxx' }), '字段 name 无效：最多 4 个字符');
    assert.equal(message({ name: 'xx', count: 0 }), '字段 count 无效：不能小于 1');
    assert.equal(message({ name: 'xx', count: 10 }), '字段 count 无效：不能大于 9');
    assert.equal(message({ name: 'xx', count: 1.5 }), '字段 count 无效：应为整数');
    assert.equal(message({ name: 'xx', kind: 'c' }), '字段 kind 无效：取值无效，可选："a"、"b"');
    assert.equal(message({ name: 'xx', list: [1, 2] }), '字段 list 无效：最多 1 项');
    assert.equal(message('text'), '字段 body 无效：应为对象');
  });

  it('a schema\'s own text wins', () => {
    assert.equal(message({ name: 'xx', own: 1 }), '字段 own 无效：own 自己的说法');
  });

  it('returns the parsed data', () => {
    assert.deepEqual(validate(schema, { name: 'xx' }, 'body'), { ok: true, data: { name: 'xx' } });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../protocol/error-catalogue.js';
import { conversationsQuery, exportQuery, parseAdminQuery, usageRange } from './admin-api-query.js';

const bad = (input: Record<string, unknown>, pattern: RegExp) =>
  assert.throws(
    () => parseAdminQuery(conversationsQuery, input),
    (error: unknown) => error instanceof AppError && error.reason === 'admin_bad_request' && pattern.test(error.message),
    JSON.stringify(input),
  );

test('dates: a Beijing day, an ISO time with its zone, or epoch milliseconds', () => {
  const day = parseAdminQuery(conversationsQuery, { from: '2026-12-01', to: '2026-12-01' });
  assert.equal(day.from, Date.parse('2026-12-01T00:00:00+08:00'));
  assert.equal(day.to, Date.parse('2026-12-02T00:00:00+08:00') - 1, 'to is the whole day');
  assert.equal(parseAdminQuery(conversationsQuery, { from: '2026-12-01T08:00:00+08:00' }).from, Date.parse('2026-12-01T00:00:00Z'));
  assert.equal(parseAdminQuery(conversationsQuery, { from: '2026-12-01T00:00Z' }).from, Date.parse('2026-12-01T00:00:00Z'));
  assert.equal(parseAdminQuery(conversationsQuery, { to: '1764547200000' }).to, 1764547200000);
  for (const text of ['2026-02-30', '2026-13-01', '2026-12-01T08:00:00', 'yesterday', '-1', '1e12', '99999999999999999', '']) bad({ from: text }, /from/);
  bad({ from: '2026-12-02', to: '2026-12-01' }, /from 不能晚于 to/);
});

test('limits, repeated and unknown parameters', () => {
  assert.equal(parseAdminQuery(conversationsQuery, {}).limit, 20);
  assert.equal(parseAdminQuery(conversationsQuery, { limit: '100' }).limit, 100);
  for (const limit of ['0', '101', '-1', '1.5', 'ten', '9999999']) bad({ limit }, /limit/);
  bad({ limit: ['1', '2'] }, /limit 只能出现一次/);
  bad({ order: 'asc' }, /未知的查询参数：order/);
  assert.equal(parseAdminQuery(exportQuery, {}).format, 'jsonl');
});

test('usage covers the last 30 Beijing days by default, a bounded range otherwise', () => {
  const now = Date.parse('2026-12-01T10:00:00+08:00');
  const range = usageRange({}, now);
  assert.equal(range.to, now);
  assert.equal(range.from, Date.parse('2026-11-02T00:00:00+08:00'));
  assert.throws(() => usageRange({ from: 0, to: now }), /最多 400 天/);
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { addBindings, bindLogger, requestLoggerFactory } from './bind-logger.js';

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

it('bound ids are on every line, after the parent\'s, and nest like pino children', () => {
  const { logger, lines } = captureLogger('info');
  const conn = bindLogger(logger, { conn: 7, ip: '127.0.0.1' });
  const answer = bindLogger(conn.child({ module: 'chat' }), { answerId: 'a-1' });
  answer.info({ status: 'complete' }, 'answer finished');
  conn.warn('slow client');
  const [first, second] = parse(lines);
  assert.deepEqual(
    { service: first!.service, conn: first!.conn, ip: first!.ip, module: first!.module, answerId: first!.answerId, status: first!.status, msg: first!.msg },
    { service: 'wechat-ai-gateway', conn: 7, ip: '127.0.0.1', module: 'chat', answerId: 'a-1', status: 'complete', msg: 'answer finished' },
  );
  assert.equal(second!.answerId, undefined, 'a child does not change its parent');
  assert.equal(second!.conn, 7);
});

it('what a bound logger logs is still redacted, and its level follows the parent', () => {
  const { logger, lines } = captureLogger('info');
  const log = bindLogger(logger, { answerId: 'a-2' });
  log.info({ sessionKey: 'K-SECRET', nested: { session_key: 'K2-SECRET' }, apiKey: 'sk-SECRET' }, 'oops');
  log.debug('not at info');
  logger.level = 'debug';
  log.debug('now shown');
  assert.equal(lines.length, 2);
  assert.doesNotMatch(lines.join('\n'), /SECRET/);
  assert.match(lines[0]!, /"answerId":"a-2"/);
  assert.match(lines[1]!, /now shown/);
});

it('addBindings on a request logger (the WebSocket route binds conn and ip to it)', () => {
  const { logger, lines } = captureLogger('info');
  const request = requestLoggerFactory(logger, { reqId: 'req-1' }, {});
  assert.deepEqual(request.bindings(), { service: 'wechat-ai-gateway', reqId: 'req-1' });
  addBindings(request, { conn: 3, ip: '::ffff:10.0.0.1' });
  request.info('upgraded');
  logger.info('parent');
  const [line, parent] = parse(lines);
  assert.equal(line!.reqId, 'req-1');
  assert.equal(line!.conn, 3);
  assert.equal(line!.ip, '::ffff:10.0.0.1');
  assert.equal(parent!.conn, undefined, 'the parent is not changed');
  // pino's cached parse of the bindings is dropped, so bindings() sees the new ones
  assert.deepEqual(request.bindings(), { service: 'wechat-ai-gateway', reqId: 'req-1', conn: 3, ip: '::ffff:10.0.0.1' });
  // still composes with pino's own setBindings and child()
  request.setBindings({ user: 'u1' });
  request.child({ module: 'chat' }).info('child');
  const child = parse(lines)[2]!;
  assert.deepEqual([child.reqId, child.conn, child.user, child.module], ['req-1', 3, 'u1', 'chat']);
});

it('a route with its own child options gets a pino child (its level applies)', () => {
  const { logger, lines } = captureLogger('info');
  const quiet = requestLoggerFactory(logger, { reqId: 'req-2' }, { level: 'warn' });
  quiet.info('dropped');
  quiet.warn('kept');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /"reqId":"req-2".*kept/);
});

it('keys and values that need escaping stay valid JSON', () => {
  const { logger, lines } = captureLogger('info');
  bindLogger(logger, { 'we"ird': 'a"b\\c\n' }).info('x');
  assert.equal(parse(lines)[0]!['we"ird'], 'a"b\\c\n');
});

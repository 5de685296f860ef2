import assert from 'node:assert/strict';
import { it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { bindLogger, requestLoggerFactory } from './bind-logger.js';

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

it('setBindings on a bound logger (the WebSocket route binds conn and ip to its request logger)', () => {
  const { logger, lines } = captureLogger('info');
  const request = requestLoggerFactory(logger, { reqId: 'req-1' }, {});
  request.setBindings({ conn: 3 });
  request.info('upgraded');
  const [line] = parse(lines);
  assert.equal(line!.reqId, 'req-1');
  assert.equal(line!.conn, 3);
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

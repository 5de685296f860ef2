import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenLoopback } from '../../test/support/listen-loopback.js';
import { until } from '../../test/support/wait.js';
import { HttpChatStream } from './http-chat-stream.js';
import { UpstreamFailure } from './upstream-failure.js';

/** A raw HTTP server whose answer each test writes byte by byte (the fake LLM server is too polite). */
type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
const open: Array<{ server: Server; client: HttpChatStream }> = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler) {
  const seen: Array<{ headers: IncomingMessage['headers']; body: string; closedEarly: boolean }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (t: string) => (body += t));
    req.on('end', () => {
      const record = { headers: req.headers, body, closedEarly: false };
      seen.push(record);
      res.on('close', () => (record.closedEarly = !res.writableFinished));
      void handler(req, res);
    });
  });
  const origin = await listenLoopback(server);
  const client = new HttpChatStream({ baseURL: `${origin}/v1/`, apiKey: 'sk-test-0123456789abcdef' });
  open.push({ server, client });
  return { client, seen };
}

const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
/** separate socket writes: the client sees the pieces in separate reads */
async function writeApart(res: ServerResponse, pieces: string[]) {
  for (const piece of pieces) {
    res.write(piece);
    await sleep(5);
  }
}

async function collect(iterator: AsyncIterable<unknown>) {
  const chunks: unknown[] = [];
  try {
    for await (const chunk of iterator) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

const params = { model: 'm', stream: true, messages: [{ role: 'user', content: '你好' }] };

describe('HttpChatStream (the lean streaming client)', () => {
  it('posts the request with the key as Bearer, and parses events split across reads, CRLF and comments', async () => {
    const { client, seen } = await serve(async (_req, res) => {
      sse(res);
      await writeApart(res, [
        ': keep-alive\r\n\r\n',
        'data: {"n":1,"t":"两',
        '个字"}\r\n',
        '\r\ndata: {"n":2}\n\n:',
        ' ping\n\ndata: {"n":3}\r',
        '\n\r\ndata: [DONE]\n\ndata: {"n":"after done is ignored"}\n\n',
      ]);
      res.end();
    });
    const { chunks, error } = await collect(await client.open(params, new AbortController().signal));
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [{ n: 1, t: '两个字' }, { n: 2 }, { n: 3 }]);
    assert.deepEqual(JSON.parse(seen[0]!.body), params);
    assert.equal(seen[0]!.headers.authorization, 'Bearer sk-test-0123456789abcdef');
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
  });

  it('reuses the connection for the next request (keep-alive)', async () => {
    const ports = new Set<number>();
    const { client } = await serve((req, res) => {
      ports.add(req.socket.remotePort!);
      sse(res);
      res.end('data: {"ok":true}\n\ndata: [DONE]\n\n');
    });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await collect(await client.open(params, new AbortController().signal))).chunks, [{ ok: true }]);
      // the pool frees a connection once the read that ended the answer is processed, not in
      // the same microtask; a client's next question comes at least a network round trip later
      await new Promise(setImmediate);
    }
    assert.equal(ports.size, 1);
  });

  it("closes an idle connection before the server's advertised keep-alive ends, not on the server's schedule", async () => {
    const ports: number[] = [];
    const { client } = await serve((req, res) => {
      ports.push(req.socket.remotePort!);
      // says 3 s; undici leaves 2 s of margin, so after 1.5 s idle the connection is already gone
      res.writeHead(200, { 'content-type': 'text/event-stream', 'keep-alive': 'timeout=3' });
      res.end('data: {"ok":true}\n\n');
    });
    const ask = async () => assert.deepEqual((await collect(await client.open(params, new AbortController().signal))).chunks, [{ ok: true }]);
    await ask();
    await sleep(1_500);
    await ask();
    assert.equal(ports.length, 2);
    assert.notEqual(ports[0], ports[1], 'the second question went out on a new connection');
  });

  it('a non-2xx answer is a status failure with the service message and its Retry-After', async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests' } }));
    });
    const error = await client.open(params, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UpstreamFailure);
    assert.deepEqual([error.kind, error.status, error.detail, error.retryAfterMs], ['status', 429, 'Rate limit reached', 2_000]);
  });

  it('a non-JSON error body is kept as text; a top-level message (vLLM) is used', async () => {
    let body = 'upstream connect error';
    const { client } = await serve((_req, res) => {
      res.writeHead(502);
      res.end(body);
    });
    const failure = () => client.open(params, new AbortController().signal).then(() => undefined, (e: unknown) => e as UpstreamFailure);
    assert.equal((await failure())?.detail, 'upstream connect error');
    body = JSON.stringify({ object: 'error', message: '"auto" tool choice requires --enable-auto-tool-choice', code: 400 });
    assert.equal((await failure())?.detail, '"auto" tool choice requires --enable-auto-tool-choice');
  });

  it('a redirect is not followed: the failure names where it points (a wrong base URL)', async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(301, { location: 'https://api.example.com/v1/chat/completions', 'content-type': 'text/html' });
      res.end('<html>moved</html>');
    });
    const error = await client.open(params, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UpstreamFailure);
    assert.deepEqual([error.status, error.detail], [301, 'redirected to https://api.example.com/v1/chat/completions: check LLM_BASE_URL']);
  });

  it('an error event inside a 200 stream fails it after the chunks before it', async () => {
    const { client, seen } = await serve(async (_req, res) => {
      sse(res);
      await writeApart(res, ['data: {"n":1}\n\n', 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n']);
      await sleep(1_000);
      res.end();
    });
    const { chunks, error } = await collect(await client.open(params, new AbortController().signal));
    assert.deepEqual(chunks, [{ n: 1 }]);
    assert.ok(error instanceof UpstreamFailure);
    assert.deepEqual([error.kind, error.detail], ['stream-error', 'overloaded']);
    await until(() => seen[0]!.closedEarly, 'the client closes the connection');
  });

  it('a garbled event fails with the parse error', async () => {
    const { client } = await serve((_req, res) => {
      sse(res);
      res.end('data: {"n":1}\n\ndata: {not json\n\n');
    });
    const { chunks, error } = await collect(await client.open(params, new AbortController().signal));
    assert.deepEqual(chunks, [{ n: 1 }]);
    assert.ok(error instanceof SyntaxError);
  });

  it('a body cut mid-stream fails (it is not taken for the end)', async () => {
    const { client } = await serve(async (_req, res) => {
      sse(res);
      await writeApart(res, ['data: {"n":1}\n\n']);
      res.socket?.destroy();
    });
    const { chunks, error } = await collect(await client.open(params, new AbortController().signal));
    assert.deepEqual(chunks, [{ n: 1 }]);
    assert.ok(error instanceof Error);
  });

  it('aborting the signal mid-stream closes the upstream connection', async () => {
    const { client, seen } = await serve(async (_req, res) => {
      sse(res);
      for (let i = 0; i < 200 && !res.destroyed; i++) await writeApart(res, [`data: {"n":${i}}\n\n`]);
      res.end();
    });
    const caller = new AbortController();
    const chunks: unknown[] = [];
    await assert.rejects(async () => {
      for await (const chunk of await client.open(params, caller.signal)) {
        chunks.push(chunk);
        if (chunks.length === 2) caller.abort();
      }
    });
    assert.equal(chunks.length, 2);
    await until(() => seen[0]!.closedEarly, 'the server sees the connection close');
  });

  it('a reader that stops early closes the upstream connection', async () => {
    const { client, seen } = await serve(async (_req, res) => {
      sse(res);
      for (let i = 0; i < 200 && !res.destroyed; i++) await writeApart(res, [`data: {"n":${i}}\n\n`]);
      res.end();
    });
    for await (const chunk of await client.open(params, new AbortController().signal)) {
      assert.deepEqual(chunk, { n: 0 });
      break;
    }
    await until(() => seen[0]!.closedEarly, 'the server sees the connection close');
  });

  it('an endpoint nobody listens on is a connect failure', async () => {
    const { client } = await serve(() => undefined);
    const closed = open.pop()!;
    await new Promise((resolve) => closed.server.close(resolve));
    const error = await client.open(params, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UpstreamFailure);
    assert.equal(error.kind, 'connect');
    assert.match(error.detail, /ECONNREFUSED/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ts from 'typescript';
import { errorCatalogue } from '../src/protocol/error-catalogue.js';
import { createWxEnvironment } from './support/wx-shim.js';
import { plain, seededRandom, until } from './support/wait.js';

/**
 * The pure parts of the mini-program kit, loaded the way a phone loads them: CommonJS in a vm
 * with no TextDecoder, Buffer or process (test/support/wx-shim.ts).
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const env = createWxEnvironment({ root: ROOT });
const lib = (name: string) => env.require(`lib/${name}`);


describe('backoff: exponential, capped, jittered', () => {
  const { backoffDelay, backoffRange } = lib('backoff.js');
  const policy = { delay: 1000, factor: 2, maxDelay: 30000, jitter: 0.5 };

  it('grows by the factor up to the cap; jitter only ever shortens a delay', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, policy, () => 0)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(backoffDelay(3, policy, () => 0.999999), 4000);
    assert.equal(backoffDelay(0, { ...policy, jitter: 0 }, () => 0.9), 1000);
  });

  it('every delay lies within its range, and the range never exceeds maxDelay', () => {
    const random = seededRandom(7);
    for (let attempt = 0; attempt < 12; attempt++) {
      const { min, max } = backoffRange(attempt, policy);
      assert.ok(max <= policy.maxDelay);
      for (let k = 0; k < 200; k++) {
        const d = backoffDelay(attempt, policy, random);
        assert.ok(d >= min && d <= max, `attempt ${attempt}: ${d} ∉ [${min}, ${max}]`);
      }
    }
    assert.deepEqual(plain(backoffRange(2, policy)), { min: 2000, max: 4000 });
  });
});

describe('UTF-8 decoder for wx.request chunks (phones have no TextDecoder)', () => {
  const { createUtf8Decoder } = lib('utf8-decoder.js');
  const text = '流式回答：你好，世界！😀 emoji、ASCII and 中文混排。\n第二行 ✓ ©';
  const bytes = new TextEncoder().encode(text);

  it('reassembles characters split at every possible byte boundary', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = createUtf8Decoder();
      assert.equal(d.write(bytes.slice(0, cut)) + d.write(bytes.slice(cut)) + d.end(), text, `cut at ${cut}`);
    }
  });

  it('one byte at a time, and random chunkings, give the same text', () => {
    const d = createUtf8Decoder();
    let out = '';
    for (const b of bytes) out += d.write(new Uint8Array([b]));
    assert.equal(out + d.end(), text);
    const random = seededRandom(42);
    for (let round = 0; round < 50; round++) {
      const d2 = createUtf8Decoder();
      let at = 0;
      let got = '';
      while (at < bytes.length) {
        const size = 1 + Math.floor(random() * 7);
        got += d2.write(bytes.slice(at, at + size).buffer); // ArrayBuffers, as onChunkReceived gives
        at += size;
      }
      assert.equal(got + d2.end(), text);
    }
  });

  it('malformed input decodes exactly as TextDecoder does (U+FFFD, maximal subparts)', () => {
    const cases = [
      [0xff], [0xc0, 0x80], [0xe4, 0xbd], [0xe4, 0x41], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98],
      [0xf4, 0x90, 0x80, 0x80], [0x80, 0x80, 0x41], [0xe4, 0xbd, 0xa0, 0xe5, 0xa5], [0xf0, 0x9f, 0x41, 0x98, 0x80],
    ];
    for (const input of cases) {
      const expected = new TextDecoder().decode(new Uint8Array(input));
      for (let cut = 0; cut <= input.length; cut++) {
        const d = createUtf8Decoder();
        const got = d.write(new Uint8Array(input.slice(0, cut))) + d.write(new Uint8Array(input.slice(cut))) + d.end();
        assert.equal(got, expected, `${input.map((b) => b.toString(16))} cut at ${cut}`);
      }
    }
  });

  it('large chunks (beyond String.fromCharCode.apply limits)', () => {
    const big = '长'.repeat(100_000);
    const d = createUtf8Decoder();
    assert.equal(d.write(new TextEncoder().encode(big)) + d.end(), big);
  });
});

describe('SSE parser for the chat event stream', () => {
  const { createSseParser } = lib('sse-parser.js');
  const collect = () => {
    const events: Array<{ event: string; data: string }> = [];
    return { events, parser: createSseParser((e: { event: string; data: string }) => events.push({ ...e })) };
  };

  it('events split anywhere, CRLF, multi-line data, comments, event names', () => {
    const stream = ': keep-alive\r\ndata: {"type":"chat_processing"}\r\n\r\nevent: x\ndata: a\ndata:b\n\ndata: {"type":"chat_delta","data":{"delta":"你好"}}\n\n';
    for (let cut = 0; cut <= stream.length; cut++) {
      const { events, parser } = collect();
      parser.push(stream.slice(0, cut));
      parser.push(stream.slice(cut));
      assert.equal(parser.end(), false);
      assert.deepEqual(events, [
        { event: 'message', data: '{"type":"chat_processing"}' },
        { event: 'x', data: 'a\nb' },
        { event: 'message', data: '{"type":"chat_delta","data":{"delta":"你好"}}' },
      ], `cut at ${cut}`);
    }
  });

  it('an event cut off by the end of the stream is dropped and reported', () => {
    const { events, parser } = collect();
    parser.push('data: {"type":"chat_delta"}\n\ndata: {"type":"chat_res');
    assert.equal(parser.end(), true);
    assert.equal(events.length, 1);
  });
});

describe('throttle: setData at most every `wait` ms, the last call never lost', () => {
  const { createThrottle } = lib('throttle.js');

  it('runs at once, then once per window, and flush() runs what is pending', async () => {
    const runs: number[] = [];
    const t = createThrottle(() => runs.push(Date.now()), 40);
    t();
    t();
    t();
    assert.equal(runs.length, 1);
    await until(() => runs.length === 2, 'the trailing call');
    assert.ok(runs[1]! - runs[0]! >= 38, 'one window later');
    for (let i = 0; i < 30; i++) {
      t();
      await sleep(5);
    }
    t.flush();
    const gaps = runs.slice(1).map((at, i) => at - runs[i]!);
    assert.ok(gaps.slice(0, -1).every((g) => g >= 38), `gaps ${gaps}`);
    const before = runs.length;
    t.flush();
    assert.equal(runs.length, before, 'nothing pending, nothing run');
    t.flush(true);
    assert.equal(runs.length, before + 1);
    t();
    t.cancel();
    await sleep(60);
    assert.equal(runs.length, before + 1, 'cancelled');
  });
});

describe('error reasons → Chinese toasts', () => {
  const { toastText } = lib('error-text.js');

  it('every reason the server can send has its own short text', () => {
    for (const reason of Object.keys(errorCatalogue)) {
      const text = toastText({ code: 400, message: 'server text', data: { reason } });
      assert.notEqual(text, 'server text', reason);
      assert.match(text, /[\u4e00-\u9fff]/, reason);
      assert.ok(text.length <= 16, `${reason}: "${text}" is too long for a toast`);
    }
  });

  it('falls back by code class, then to the server message', () => {
    assert.equal(toastText({ code: 409, data: { reason: 'chat_in_progress' } }), '上一个回答还没结束');
    assert.equal(toastText({ reason: 'network_error' }), '网络不给力，正在重连');
    assert.equal(toastText({ code: 503, message: 'x', data: { reason: 'brand_new' } }), '服务繁忙，请稍后再试');
    assert.equal(toastText({ code: 400, message: '新的错误', data: { reason: 'brand_new' } }), '新的错误');
    assert.equal(toastText(undefined), '出了点问题，请重试');
  });
});

describe('AnswerStream: each delta once, in order; the final response once', () => {
  const { AnswerStream, normalizeSources } = lib('answer-stream.js');

  it('applies in-order deltas, flags duplicates and gaps, and takes the final msg', () => {
    const a = new AnswerStream('a1', '问');
    a.started('ans-1');
    assert.equal(a.delta(0, '你'), 'applied');
    assert.equal(a.delta(0, '你'), 'duplicate');
    assert.equal(a.delta(2, '！'), 'gap');
    assert.equal(a.delta(1, '好'), 'applied');
    assert.deepEqual([a.text, a.nextIndex, a.status], ['你好', 2, 'streaming']);
    assert.equal(a.finish({ code: 0, data: { id: 'ans-1', msg: '你好！', status: 'complete', sources: [{ title: 'T', source: 's.md', snippet: 'x', score: 0.5 }] } }), true);
    assert.equal(a.finish({ code: 0, data: { id: 'ans-1', msg: 'again' } }), false, 'a second response is ignored');
    assert.equal(a.delta(3, 'late'), 'ignored');
    assert.deepEqual(plain(a.snapshot()), {
      localId: 'a1', id: 'ans-1', query: '问', text: '你好！', status: 'complete', done: true,
      sources: [{ title: 'T', source: 's.md', snippet: 'x', score: 0.5 }], usage: null, error: null, progress: null,
    });
  });

  it('a failed response keeps the partial text and the reason', () => {
    const a = new AnswerStream('a2', 'q');
    a.finish({ code: 502, message: 'AI 服务暂时不可用', data: { id: 'x', msg: '部分', reason: 'model_error' } });
    assert.deepEqual(plain([a.status, a.text, a.error]), ['failed', '部分', { code: 502, reason: 'model_error', message: 'AI 服务暂时不可用', text: 'AI 服务暂时不可用，请稍后再试' }]);
  });

  it('sources: keeps well-formed entries, cuts long snippets, drops junk', () => {
    const long = '长'.repeat(300);
    assert.deepEqual(plain(normalizeSources([null, 3, { score: 1 }, { source: 'a.md', text: long }])), [
      { title: 'a.md', source: 'a.md', snippet: `${'长'.repeat(160)}…`, score: null },
    ]);
    assert.deepEqual(plain(normalizeSources(undefined)), []);
  });
});

describe('the kit is ES2015 CommonJS with no Node or newer-than-ES2015 features', () => {
  /** syntax a 2015-era JS engine rejects, by TypeScript AST kind */
  const forbidden = new Map<ts.SyntaxKind, string>([
    [ts.SyntaxKind.QuestionDotToken, 'optional chaining'],
    [ts.SyntaxKind.QuestionQuestionToken, '??'],
    [ts.SyntaxKind.QuestionQuestionEqualsToken, '??='],
    [ts.SyntaxKind.AsteriskAsteriskToken, '**'],
    [ts.SyntaxKind.AwaitExpression, 'await'],
    [ts.SyntaxKind.AsyncKeyword, 'async'],
    [ts.SyntaxKind.SpreadAssignment, 'object spread'],
    [ts.SyntaxKind.BigIntLiteral, 'BigInt'],
    [ts.SyntaxKind.PropertyDeclaration, 'class field'],
    [ts.SyntaxKind.PrivateIdentifier, '#private'],
    [ts.SyntaxKind.ImportDeclaration, 'import'],
    [ts.SyntaxKind.ExportDeclaration, 'export'],
    [ts.SyntaxKind.ExportAssignment, 'export'],
  ]);
  /** library methods newer than ES2015 that old phones lack */
  const newerApis = /\.(includes|padStart|padEnd|finally|flat|flatMap|at|replaceAll|matchAll|values|entries|fromEntries)\(/;

  const files = ['app.js', 'config.js', 'pages/chat/chat.js', 'pages/chat/conversation-panel.js', ...readdirSync(join(ROOT, 'lib')).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`)];

  for (const file of files) {
    it(file, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2015, true, ts.ScriptKind.JS);
      const problems: string[] = [];
      const visit = (node: ts.Node) => {
        const what = forbidden.get(node.kind);
        if (what) problems.push(`${what} at ${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        if (ts.isCatchClause(node) && !node.variableDeclaration) problems.push('catch without binding');
        if (ts.isRegularExpressionLiteral(node) && (/\(\?<[=!]?/.test(node.text) || /\/[a-z]*s[a-z]*$/.test(node.text))) problems.push(`ES2018 regex ${node.text}`);
        node.forEachChild(visit);
      };
      visit(source);
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const api = newerApis.exec(code);
      if (api) problems.push(`newer API ${api[0]}`);
      if (/\b(TextDecoder|TextEncoder|Buffer|process|globalThis)\b/.test(code)) problems.push('a Node/browser-only global');
      assert.deepEqual(problems, []);
    });
  }
});

describe('lib/frames.js: JSDoc types of the server frames the kit reads', () => {
  const LIB = join(ROOT, 'lib');
  /** a TypeScript consumer of the typedefs, as an editor with checkJs would see them */
  const PROBE = join(LIB, '__frames-probe.ts');
  const probeSource = "import type { ServerFrame } from './frames.js';\ndeclare const frame: ServerFrame;\nexport const type = frame.type;\n";
  const files = readdirSync(LIB).filter((f) => f.endsWith('.js')).map((f) => join(LIB, f));
  const options: ts.CompilerOptions = { allowJs: true, checkJs: true, noEmit: true, strict: true, target: ts.ScriptTarget.ES2015, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (name === PROBE ? probeSource : readFile(name));
  host.fileExists = (name) => name === PROBE || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name === PROBE ? ts.createSourceFile(name, probeSource, version) : getSourceFile(name, version));
  const program = ts.createProgram([PROBE, ...files], options, host);
  const text = (d: ts.Diagnostic) => `${d.file?.fileName.split('/').pop()}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;

  it('frames.js type-checks, and the probe reading it does too', () => {
    const diagnostics = [PROBE, join(LIB, 'frames.js')].flatMap((f) => [...program.getSemanticDiagnostics(program.getSourceFile(f)), ...program.getSyntacticDiagnostics(program.getSourceFile(f))]);
    assert.deepEqual(diagnostics.map(text), []);
  });

  it('every import(\'./frames.js\').X in the kit names a typedef that exists', () => {
    const references = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/import\('\.\/frames\.js'\)\.(\w+)/g)].map((m) => m[1]));
    assert.ok(references.length >= 10, `the reading modules reference the typedefs (${references.length})`);
    const unresolved = files
      .filter((f) => readFileSync(f, 'utf8').includes('frames.js'))
      .flatMap((f) => program.getSemanticDiagnostics(program.getSourceFile(f)))
      .filter((d) => d.code === 2694 || d.code === 2307 || /frames\.js/.test(ts.flattenDiagnosticMessageText(d.messageText, '\n')));
    assert.deepEqual(unresolved.map(text), []);
  });

  it('ServerFrame covers every frame type the kit reads', () => {
    const probe = program.getSourceFile(PROBE)!;
    const checker = program.getTypeChecker();
    const statement = probe.statements.filter(ts.isVariableStatement).at(-1)!; // `export const type = frame.type`
    const type = checker.getTypeAtLocation(statement.declarationList.declarations[0]!.name);
    const names = (type.isUnion() ? type.types : [type]).map((t) => (t.isStringLiteral() ? t.value : checker.typeToString(t))).sort();
    const read = ['connected', 'login_response', 'chat_processing', 'chat_delta', 'chat_progress', 'chat_transcript', 'chat_retract', 'chat_response', 'history_response', 'cancel_response', 'clear_response', 'pong', 'error', 'conversations_response', 'delete_conversation_response', 'feedback_response', 'chat_suggestions'].sort();
    assert.deepEqual(names, read);
    // and every type client-frames.js switches on is one of them
    const cases = [...readFileSync(join(LIB, 'client-frames.js'), 'utf8').matchAll(/case '(\w+)':/g)].map((m) => m[1]!);
    assert.deepEqual(cases.filter((c) => !names.includes(c)), []);
  });
});

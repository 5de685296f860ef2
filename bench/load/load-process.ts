/**
 * The load generator: a process of its own (so its event loop and CPU are not the gateway's),
 * driven by the runner over IPC (bench/load/load-protocol.ts). It holds groups of logged-in
 * sockets and runs rounds of streamed chats on them, or direct SSE streams to the model.
 */
import { EVENT_LOOP_SAMPLE_MS } from '../support/gateway-process.js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { directChat } from './direct-sse.js';
import { steady } from './steady-load.js';
import type { ChatSample, LoadCommand, LoadReply, LoadRequest } from './load-protocol.js';
import { urlForClient } from './spread-urls.js';
import { WsChatClient } from './ws-chat-client.js';

/** sockets opening at once: quick, yet not a flood the gateway's accept queue would drop */
const OPEN_BATCH = 200;
const groups = new Map<string, WsChatClient[]>();
const eventLoop = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
eventLoop.enable();

async function open(request: Extract<LoadRequest, { cmd: 'open' }>): Promise<number> {
  const clients: WsChatClient[] = groups.get(request.group) ?? [];
  groups.set(request.group, clients);
  const perAddress = request.perAddress ?? 5_000;
  for (let i = 0; i < request.count; i += OPEN_BATCH) {
    const batch = Array.from({ length: Math.min(OPEN_BATCH, request.count - i) }, (_, j) => {
      const n = i + j;
      return WsChatClient.open(urlForClient(n, request.url, request.urls), `${request.codePrefix}${n}`, `127.0.0.${1 + Math.floor(n / perAddress)}`);
    });
    clients.push(...(await Promise.all(batch)));
  }
  if (request.heartbeatMs) {
    clients.forEach((client, i) => client.startHeartbeat((i / clients.length) * request.heartbeatMs!, request.heartbeatMs!));
  }
  return clients.length;
}

/** `times` chats in turn, or — with a deadline (performance.now() ms) — as many as start before it. */
async function inTurn(times: number, run: () => Promise<ChatSample>, deadline?: number): Promise<ChatSample[]> {
  const samples: ChatSample[] = [];
  for (let i = 0; deadline === undefined ? i < times : performance.now() < deadline; i++) samples.push(await run());
  return samples;
}

const deadlineOf = (durationMs: number | undefined) => (durationMs === undefined ? undefined : performance.now() + durationMs);

async function handle(request: LoadRequest): Promise<Omit<Extract<LoadReply, { ok: true }>, 'id'>> {
  switch (request.cmd) {
    case 'open':
      return { ok: true, opened: await open(request) };
    case 'chat': {
      const clients = groups.get(request.group) ?? [];
      const timeout = request.timeoutMs ?? 60_000;
      const deadline = deadlineOf(request.durationMs);
      const perClient = await Promise.all(
        clients.map((c) => inTurn(request.chatsPerClient, () => c.chat(request.expected, request.keepGaps ?? false, timeout), deadline)),
      );
      return { ok: true, samples: perClient.flat() };
    }
    case 'direct': {
      const deadline = deadlineOf(request.durationMs);
      const perClient = await Promise.all(
        Array.from({ length: request.concurrency }, () =>
          inTurn(request.chatsPerClient, () => directChat(request.baseUrl, request.expected, request.keepGaps ?? false), deadline),
        ),
      );
      return { ok: true, samples: perClient.flat() };
    }
    case 'steady': {
      const { baseUrl, expected } = request;
      const keepGaps = request.keepGaps ?? false;
      if (baseUrl !== undefined) return { ok: true, samples: await steady(request, () => directChat(baseUrl, expected, keepGaps)) };
      const clients = groups.get(request.group ?? '') ?? [];
      if (clients.length < request.streams) throw new Error(`steady: group ${request.group} has ${clients.length} sockets, ${request.streams} asked`);
      const timeout = request.timeoutMs ?? 60_000;
      return { ok: true, samples: await steady(request, (i) => clients[i]!.chat(expected, keepGaps, timeout)) };
    }
    case 'close':
      for (const client of groups.get(request.group) ?? []) client.close();
      groups.delete(request.group);
      return { ok: true };
  }
}

process.on('message', (command: LoadCommand) => {
  eventLoop.reset();
  const received = performance.now();
  handle(command).then(
    (reply) =>
      process.send!({ id: command.id, ...reply, eventLoopP99Ms: Math.max(0, eventLoop.percentile(99) / 1e6 - EVENT_LOOP_SAMPLE_MS), elapsedMs: performance.now() - received } satisfies LoadReply),
    (error: unknown) => process.send!({ id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies LoadReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, ok: true } satisfies LoadReply);

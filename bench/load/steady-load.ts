/**
 * Steady-state load: `streams` chats kept in flight at random phases — not all started in the
 * same millisecond. Each client waits a random part of `staggerMs`, then chats in a loop until
 * `staggerMs + durationMs` have passed; only chats started after the stagger are kept, so
 * every kept chat ran while the others were in flight at random points of their answers.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatSample } from './load-protocol.js';

export interface SteadyLoad {
  streams: number;
  staggerMs: number;
  durationMs: number;
}

export async function steady(load: SteadyLoad, chat: (client: number) => Promise<ChatSample>): Promise<ChatSample[]> {
  const measureFrom = performance.now() + load.staggerMs;
  const end = measureFrom + load.durationMs;
  const kept: ChatSample[] = [];
  await Promise.all(
    Array.from({ length: load.streams }, async (_, client) => {
      await sleep(Math.random() * load.staggerMs);
      while (performance.now() < end) {
        const startedAt = performance.now();
        const sample = await chat(client);
        if (startedAt >= measureFrom) kept.push(sample);
        if (sample.error) await sleep(10); // a refusing server must not turn this into a spin
      }
    }),
  );
  return kept;
}

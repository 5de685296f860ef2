/**
 * The benchmark's model: a fake OpenAI-compatible server in its own process (so it does not
 * share the gateway's or the load driver's event loop). The answer is --deltas deltas (default
 * 64) of 2 characters, paced at --pace ms, the first after --ttft ms. Prints its base URL on stdout.
 */
import { startFakeLlmServer } from '../test/support/fake-llm-server.js';
import { benchAnswer } from './support/bench-answer.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
export const BENCH_ANSWER = benchAnswer(arg('deltas', 64));
const llm = await startFakeLlmServer({ reply: () => BENCH_ANSWER, deltaChars: 2, deltaLatencyMs: arg('pace', 20), firstTokenLatencyMs: arg('ttft', 0) });
console.log(llm.baseUrl);
process.once('SIGTERM', () => void llm.close().then(() => process.exit(0)));

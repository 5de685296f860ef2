/**
 * The benchmark's model: a fake OpenAI-compatible server in its own process (so it does not
 * share the gateway's or the load driver's event loop). The answer is 64 deltas paced at
 * --pace ms. Prints its base URL on stdout.
 */
import { startFakeLlmServer } from '../test/support/fake-llm-server.js';

const pace = Number(process.argv.find((a) => a.startsWith('--pace='))?.slice(7) ?? 20);
export const BENCH_ANSWER = '基准测试的回答'.repeat(19).slice(0, 128); // 64 deltas of 2 characters
const llm = await startFakeLlmServer({ reply: () => BENCH_ANSWER, deltaChars: 2, deltaLatencyMs: pace });
console.log(llm.baseUrl);
process.once('SIGTERM', () => void llm.close().then(() => process.exit(0)));

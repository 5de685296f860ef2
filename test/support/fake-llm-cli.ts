/**
 * Local dev: a fake OpenAI-compatible model that echoes "收到：<your message>" as a stream.
 *
 *   node --import tsx test/support/fake-llm-cli.ts [port] [--latency=ms] [--ttft=ms] [--key=k] [--base-path=/v1] [--dims=64]
 *
 * Port: argv, else FAKE_LLM_PORT, else 9102. --latency is the pause between deltas, --ttft the
 * pause before the first one; --key makes it demand `Authorization: Bearer <k>`.
 */
import { startFakeLlmServer } from './fake-llm-server.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const num = (name: string, fallback: number): number => {
  const value = Number(flag(name) ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
};
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.FAKE_LLM_PORT ?? 9102);
const apiKey = flag('key');

const llm = await startFakeLlmServer({
  port,
  deltaLatencyMs: num('latency', 30),
  firstTokenLatencyMs: num('ttft', 200),
  embeddingDimensions: num('dims', 64),
  ...(apiKey !== undefined && { apiKey }),
  ...(flag('base-path') !== undefined && { basePath: flag('base-path') }),
});

console.log(`fake LLM listening on ${llm.baseUrl}`);
console.log(`  LLM_BASE_URL=${llm.baseUrl} LLM_API_KEY=${apiKey === undefined ? 'anything' : '<as given>'} LLM_MODEL=fake-model`);

const stop = (): void => void llm.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

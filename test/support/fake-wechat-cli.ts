/**
 * Local dev: a fake api.weixin.qq.com so login works without a real AppID.
 *
 *   node --import tsx test/support/fake-wechat-cli.ts [port] [--latency=ms] [--unionid] [--invalid=code1,code2]
 *     [--sec-latency=ms] [--risky=词1,词2] [--review=词3]
 *
 * --sec-latency delays each msg_sec_check (the benchmark uses 50 and 400); --risky / --review
 * make msg_sec_check answer suggest 'risky' / 'review' for text containing those words.
 *
 * Port: argv, else FAKE_WECHAT_PORT, else 9101. AppID/secret are read from WECHAT_APPID /
 * WECHAT_APP_SECRET (the gateway's own variables) so both sides agree without extra setup.
 */
import { startFakeWechatServer } from './fake-wechat-server.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined =>
  args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1] ?? (args.includes(`--${name}`) ? '' : undefined);
const portArg = args.find((a) => /^\d+$/.test(a)) ?? process.env.FAKE_WECHAT_PORT ?? '9101';

const wx = await startFakeWechatServer({
  port: Number(portArg),
  appId: process.env.WECHAT_APPID ?? 'wx-fake-appid',
  appSecret: process.env.WECHAT_APP_SECRET ?? 'fake-app-secret',
  latencyMs: Number(flag('latency') ?? 0),
  withUnionId: flag('unionid') !== undefined,
  invalidCodes: flag('invalid')?.split(',').filter(Boolean) ?? [],
  secCheckLatencyMs: flag('sec-latency') === undefined ? undefined : Number(flag('sec-latency')),
  riskyWords: flag('risky')?.split(',').filter(Boolean) ?? [],
  reviewWords: flag('review')?.split(',').filter(Boolean) ?? [],
});

console.log(`fake WeChat listening on ${wx.url}`);
console.log(`  WECHAT_API_BASE=${wx.url} WECHAT_APPID=${wx.appId} WECHAT_APP_SECRET=<as set>`);
console.log('  any js_code is accepted once; reuse gets 40163');

const stop = (): void => void wx.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

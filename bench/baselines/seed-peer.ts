/**
 * The seed's own stack as a baseline: ../shared/peer/main.py (FastAPI + uvicorn with uvloop and
 * httptools, httpx streaming), on the same fake model and fake WeChat as the gateway. Needs the
 * Debian python3 packages its README lists; without them the caller skips it with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/spawn-server.js';
import { pinServer } from '../support/cpu-pin.js';
import { startHelper, type HelperProcess } from '../support/child-process.js';

export const PEER_MAIN = fileURLToPath(new URL('../../../shared/peer/main.py', import.meta.url));
/** Debian's interpreter: the packages are installed for it, not for a pyenv python on PATH */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Why the peer cannot run here, or undefined when it can. */
export function peerUnavailable(): string | undefined {
  if (!existsSync(PEER_MAIN)) return `${PEER_MAIN} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, httpx, uvloop, httptools, websockets'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON}: ${probe.error.message}`;
  if (probe.status !== 0) return `python packages missing (${probe.stderr.trim().split('\n').at(-1)}); see ../shared/peer/README.md`;
  return undefined;
}

export interface SeedPeer extends HelperProcess {
  wsUrl: string;
}

export async function startSeedPeer(options: { llmBaseUrl: string; wechat: { url: string; appId: string; appSecret: string } }): Promise<SeedPeer> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    WECHAT_APPID: options.wechat.appId,
    WECHAT_APP_SECRET: options.wechat.appSecret,
    WECHAT_API_BASE: options.wechat.url,
    LLM_BASE_URL: options.llmBaseUrl,
    LLM_API_KEY: 'bench',
    LLM_MODEL: 'bench',
  };
  const helper = await startHelper(PYTHON, [PEER_MAIN, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], env);
  pinServer(helper.pid);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/wechat/health`)).ok) break;
    } catch {
      // uvicorn not listening yet
    }
    if (i > 100) {
      await helper.stop();
      throw new Error('the seed peer did not answer /wechat/health within 10 s');
    }
    await sleep(100);
  }
  return { ...helper, wsUrl: `ws://127.0.0.1:${port}/wechat/ws` };
}

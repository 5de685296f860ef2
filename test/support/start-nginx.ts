import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './spawn-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shipped configuration the tests start nginx with. */
export const shippedNginxConf = join(root, 'deploy', 'nginx.conf');

/** nginx's binary: Debian puts it in /usr/sbin, which is not on a non-root user's PATH. */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  return dirs.filter((dir) => dir.startsWith('/')).map((dir) => join(dir, 'nginx')).find((file) => existsSync(file));
}

export interface NginxSite {
  /** host:port of each gateway instance, in the order of the upstream's lines */
  upstreams: string[];
  httpsPort: number;
  httpPort: number;
  /** holds fullchain.pem and privkey.pem */
  certDir: string;
  /** error.log, access.log and nginx's temp directories go here */
  workDir: string;
}

/**
 * deploy/nginx.conf with only what differs on a test machine replaced: the instances'
 * addresses, loopback listen ports, certificate and log paths, and temp directories (Debian's
 * nginx would use /var/lib/nginx). Each replacement must match exactly as often as expected,
 * so a change to the shipped file's shape fails here instead of testing something else.
 */
export function renderNginxConf(template: string, site: NginxSite): string {
  let conf = template;
  const replace = (pattern: RegExp, by: string, times: number) => {
    const all = new RegExp(pattern.source, pattern.flags + 'g');
    const found = conf.match(all)?.length ?? 0;
    if (found !== times) throw new Error(`deploy/nginx.conf: expected ${times}× ${pattern} (found ${found}); update test/support/start-nginx.ts with it`);
    conf = conf.replace(all, by);
  };
  const upstreamLines = [...conf.matchAll(/^\s*server (app\d+:8000)\b/gm)].map((m) => m[1]!);
  if (upstreamLines.length !== site.upstreams.length) {
    throw new Error(`deploy/nginx.conf has ${upstreamLines.length} upstream servers, the test starts ${site.upstreams.length}`);
  }
  upstreamLines.forEach((name, i) => replace(new RegExp(`^(\\s*server )${name}\\b`, 'm'), `$1${site.upstreams[i]}`, 1));
  replace(/^(\s*)listen 443 ssl;/m, `$1listen 127.0.0.1:${site.httpsPort} ssl;`, 1);
  replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${site.httpPort};`, 1);
  replace(/\/etc\/nginx\/certs\//, `${site.certDir}/`, 2);
  replace(/^error_log \/dev\/stderr /m, `error_log ${site.workDir}/error.log `, 1);
  replace(/(\s)access_log \/dev\/stdout /, `$1access_log ${site.workDir}/access.log `, 1);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${site.workDir}/temp/${kind};`)
    .join('\n');
  replace(/^http \{$/m, `http {\n${temp}`, 1);
  return conf;
}

/** A self-signed certificate for 127.0.0.1 (the IP in subjectAltName: clients match IPs only there). */
export function makeSelfSignedCert(certDir: string): { cert: string; key: string } {
  mkdirSync(certDir, { recursive: true });
  const cert = join(certDir, 'fullchain.pem');
  const key = join(certDir, 'privkey.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'pipe' });
  return { cert, key };
}

export interface RunningNginx {
  httpsUrl: string;
  wssUrl: string;
  httpUrl: string;
  /** the self-signed certificate (PEM path) clients must trust */
  certFile: string;
  /** the configuration nginx runs, as rendered */
  conf: string;
  errorLog(): string;
  accessLog(): string;
  stop(): Promise<void>;
}

/**
 * Real nginx, in the foreground as a child process, on free loopback ports, with deploy/nginx.conf
 * rendered for `upstreams`. Everything it writes stays in its own temp directory.
 */
export async function startNginx(nginx: string, upstreams: string[]): Promise<RunningNginx> {
  const workDir = mkdtempSync(join(tmpdir(), 'wag-nginx-'));
  // Started as root, nginx's workers run as nobody: they must reach the temp directories.
  chmodSync(workDir, 0o755);
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(workDir, 'temp', kind), { recursive: true, mode: 0o777 });
  chmodSync(join(workDir, 'temp'), 0o777);
  const certDir = join(workDir, 'certs');
  const { cert } = makeSelfSignedCert(certDir);
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const conf = renderNginxConf(readFileSync(shippedNginxConf, 'utf8'), { upstreams, httpsPort, httpPort, certDir, workDir });
  const confFile = join(workDir, 'nginx.conf');
  writeFileSync(confFile, conf);

  let output = '';
  const child: ChildProcess = spawn(
    nginx,
    ['-p', `${workDir}/`, '-c', confFile, '-e', join(workDir, 'error.log'), '-g', `daemon off; pid ${workDir}/nginx.pid;`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // nginx outlives a test runner that exits without `stop()`: its master stops its workers on SIGTERM
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  for (let i = 0; !(await accepts(httpsPort)); i++) {
    if (child.exitCode !== null || i > 100) {
      child.kill('SIGTERM');
      throw new Error(`nginx did not start:\n${output}\n${read(join(workDir, 'error.log'))}`);
    }
    await sleep(100);
  }
  return {
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    wssUrl: `wss://127.0.0.1:${httpsPort}/wechat/ws`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    certFile: cert,
    conf,
    errorLog: () => read(join(workDir, 'error.log')),
    accessLog: () => read(join(workDir, 'access.log')),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      process.off('exit', killOnExit);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

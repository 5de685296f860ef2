import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { renderNginxConf } from './support/start-nginx.js';

/**
 * No Docker engine runs here, so the Dockerfile and docker-compose.yml are never built in CI.
 * What can be checked without one is that they agree with each other, with deploy/nginx.conf
 * (which test/nginx-wss.test.ts runs in real nginx) and with the gateway's own defaults.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const nginxConf = read('deploy/nginx.conf');
const dockerfile = read('Dockerfile');
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };
const pkg = JSON.parse(read('package.json'));
const defaults = loadConfig({});

/** The compose services that run the gateway image (built from this repository). */
const gatewayServices = Object.entries(compose.services).filter(([, s]) => s.build === '.');

/** An nginx size (64k, 20m, 1024) in bytes. */
function bytes(size: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(size);
  assert.ok(m, `nginx size ${size}`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 }[m[2]!.toLowerCase() as '' | 'k' | 'm']);
}

/** The text of `location <path> { … }` in nginx.conf. */
function location(path: string): string {
  const m = new RegExp(`location ${path.replace(/[/^~]/g, '\\$&')} \\{([^}]*)\\}`).exec(nginxConf);
  assert.ok(m, `deploy/nginx.conf has location ${path}`);
  return m[1]!;
}

describe('docker-compose.yml, Dockerfile and deploy/nginx.conf agree', () => {
  it('nginx\'s upstream lists exactly the compose gateway services, on the port they listen on', () => {
    const upstream = /upstream gateway \{([^}]*)\}/.exec(nginxConf)?.[1];
    assert.ok(upstream, 'upstream gateway block');
    const servers = [...upstream.matchAll(/^\s*server (\S+?)[\s;]/gm)].map((m) => m[1]);
    assert.equal(servers.length, 2, 'two instances');
    assert.deepEqual(
      servers,
      gatewayServices.map(([name, s]) => `${name}:${s.environment.PORT}`),
    );
    assert.doesNotMatch(upstream, /\b(ip_hash|hash|sticky|least_conn)\b/, 'round-robin, no sticky sessions');
    for (const [, s] of gatewayServices) assert.equal(Number(s.environment.PORT), defaults.port);
  });

  it('the gateway services share Redis, trust nginx\'s X-Forwarded-For and publish no port of their own', () => {
    for (const [name, s] of gatewayServices) {
      const redisHost = new URL(s.environment.REDIS_URL).hostname;
      assert.match(compose.services[redisHost]?.image ?? '', /^redis:/, `${name}: REDIS_URL names the redis service`);
      assert.equal(s.environment.TRUST_PROXY, 'true', `${name}: TRUST_PROXY`);
      assert.equal(s.ports, undefined, `${name}: reachable only through nginx, or X-Forwarded-For could be forged`);
      assert.ok(s.volumes.some((v: string) => v.endsWith(':/app/data')), `${name}: DATA_DIR on a volume`);
    }
  });

  it('the nginx service runs deploy/nginx.conf with the certificates where the config looks for them', () => {
    const nginx = compose.services.nginx;
    assert.ok(nginx.volumes.includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro'));
    const certDirs = new Set([...nginxConf.matchAll(/^\s*ssl_certificate(?:_key)?\s+(\S+);/gm)].map((m) => dirname(m[1]!)));
    assert.deepEqual([...certDirs], ['/etc/nginx/certs']);
    assert.ok(nginx.volumes.includes('./deploy/certs:/etc/nginx/certs:ro'));
    const listens = [...nginxConf.matchAll(/^\s*listen (\d+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(nginx.ports.map((p: string) => p.split(':').at(-1)).sort(), listens);
    for (const dep of nginx.depends_on) assert.ok(gatewayServices.some(([name]) => name === dep));
    assert.ok(Number(nginx.ulimits.nofile) >= Number(/worker_rlimit_nofile (\d+);/.exec(nginxConf)![1]), 'nofile covers worker_rlimit_nofile');
  });

  it('nginx\'s limits match the gateway\'s defaults: body size, WebSocket read timeout, TLS versions', () => {
    assert.equal(bytes(/^ {8}client_max_body_size (\S+);/m.exec(nginxConf)![1]!), defaults.http.maxBodyBytes, 'client_max_body_size = HTTP_MAX_BODY_BYTES');
    const wsTimeout = /proxy_read_timeout (\d+)s;/.exec(location('/wechat/ws'))?.[1];
    assert.ok(Number(wsTimeout) * 1000 > defaults.ws.idleTimeoutMs, 'nginx waits longer than WS_IDLE_TIMEOUT_MS');
    assert.match(location('/wechat/ws'), /proxy_pass http:\/\/gateway;/);
    assert.match(nginxConf, /^\s*ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
    assert.match(location('^~ /metrics'), /return 404;/);
    const workerConnections = Number(/worker_connections (\d+);/.exec(nginxConf)![1]);
    assert.ok(workerConnections <= Number(/worker_rlimit_nofile (\d+);/.exec(nginxConf)![1]));
  });

  it('the Dockerfile runs the compiled server on the current LTS that package.json accepts', () => {
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    assert.ok(majors.length >= 2, 'build and runtime stages');
    assert.equal(new Set(majors).size, 1, 'every stage on the same Node major (the native addon is built for it)');
    const major = majors[0]!;
    // .ci/run runs the whole suite on the LTS we recommend: the image must be that one
    const ci = read('.ci/run');
    assert.match(ci, new RegExp(`^node${major}_bin="\\$\\(use_node ${major}\\)"$`, 'm'), `.ci/run fetches Node ${major}`);
    assert.match(ci, new RegExp(`^PATH="\\$node${major}_bin:\\$PATH" npm test$`, 'm'), `.ci/run runs npm test on Node ${major}`);
    assert.ok(satisfiesMajor(pkg.engines.node, major), `engines ${pkg.engines.node} accepts Node ${major}`);

    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!);
    assert.deepEqual(cmd, pkg.scripts.start.split(' '), 'CMD is `npm start` without npm');
    const build = JSON.parse(read('tsconfig.build.json')).compilerOptions;
    // tsc compiles src/main.ts to build/main.js, which esbuild bundles into dist/main.js
    const script = read('scripts/build.mjs');
    assert.ok(script.includes(`main: '${build.outDir}/main.js'`) && script.includes("outdir: 'dist'"), 'scripts/build.mjs bundles main.js into dist/');
    assert.equal(cmd.at(-1), 'dist/main.js');
    // the systemd example in the deployment guide starts it the same way
    assert.ok(read('docs/deployment.md').includes(`ExecStart=/usr/bin/${pkg.scripts.start}`), 'docs/deployment.md ExecStart is `npm start` without npm');
    assert.ok(existsSync(join(root, build.rootDir, 'main.ts')), 'src/main.ts is the entry point');
    assert.match(dockerfile, /^RUN npm run build$/m);
    // `npm ci` with dev dependencies runs `prepare`, which compiles: src/ must be there by then, or scripts off
    for (const stage of dockerfile.split(/^FROM /m).slice(1)) {
      const ci = stage.indexOf('RUN npm ci');
      if (ci < 0 || /RUN npm ci[^\n]*--(omit=dev|ignore-scripts)/.test(stage)) continue;
      assert.ok(stage.indexOf('COPY src src') >= 0 && stage.indexOf('COPY src src') < ci, `a full \`npm ci\` before COPY src in: FROM ${stage.split('\n')[0]}`);
    }
    assert.match(dockerfile, /^COPY --from=build \/app\/dist dist$/m);
  });

  it('the Dockerfile: non-root, health check on /wechat/health, the port and data directory the gateway uses', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    assert.ok(users.length > 0 && users.at(-1) !== 'root', 'runs as a non-root user');
    assert.match(/^HEALTHCHECK(?:.*\\\n)*.*$/m.exec(dockerfile)![0], /\/wechat\/health/);
    assert.equal(Number(/^EXPOSE (\d+)$/m.exec(dockerfile)![1]), defaults.port);
    const dataDir = /DATA_DIR=(\S+)/.exec(dockerfile)![1];
    assert.match(dockerfile, new RegExp(`^VOLUME \\["${dataDir}"\\]$`, 'm'));
    for (const [, s] of gatewayServices) assert.ok(s.volumes.some((v: string) => v.endsWith(`:${dataDir}`)));
    // every file the image copies from the repository exists
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1]!.split(' ')) assert.ok(existsSync(join(root, source)), `COPY ${source}`);
    }
  });

  it('the runtime stage installs with --omit=dev: every package the server imports is a dependency', () => {
    assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
    const imported = new Set<string>();
    for (const file of readdirSync(join(root, 'src'), { recursive: true }).map(String)) {
      if (!file.endsWith('.ts') || /\.(test|contract)\.ts$/.test(file)) continue;
      const text = read(join('src', file));
      // value imports and dynamic imports (`import type` is erased by the compiler)
      for (const m of text.matchAll(/^import (?!type )[^;]*?from '([^'.][^']*)'|import\('([^'.][^']*)'\)/gm)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    assert.ok(imported.has('fastify') && imported.has('better-sqlite3'), `found the imports: ${[...imported]}`);
    for (const name of imported) assert.ok(pkg.dependencies[name], `${name} is imported by src/ but is not in "dependencies"`);
  });
});

/** Whether an engines range made of `^x.y.z` / `>=x.y.z` alternatives admits this major's releases. */
function satisfiesMajor(range: string, major: number): boolean {
  return range.split('||').some((alt) => {
    const m = /^\s*(\^|>=)(\d+)\.\d+\.\d+\s*$/.exec(alt);
    assert.ok(m, `engines alternative ${alt} is ^x.y.z or >=x.y.z`);
    return m[1] === '^' ? Number(m[2]) === major : major >= Number(m[2]);
  });
}

describe('the nginx configuration test/nginx-wss.test.ts runs', () => {
  const site = { upstreams: ['127.0.0.1:4001', '127.0.0.1:4002'], httpsPort: 4443, httpPort: 4080, certDir: '/tmp/c', workDir: '/tmp/w' };

  it('is deploy/nginx.conf with only addresses, ports, certificate, log and temp paths changed', () => {
    const shipped = nginxConf.split('\n');
    const rendered = renderNginxConf(nginxConf, site).split('\n');
    const added = rendered.filter((line) => !shipped.includes(line));
    const removed = shipped.filter((line) => !rendered.includes(line));
    assert.equal(removed.length, 8, removed.join('\n'));
    for (const line of removed) assert.match(line, /server app\d:8000|listen (443 ssl|80);|\/etc\/nginx\/certs\/|_log \/dev\/std/);
    for (const line of added) assert.match(line, /127\.0\.0\.1:4\d{3}|\/tmp\/[cw]\/|^http \{$/);
  });

  it('refuses a configuration whose lines no longer have the expected shape', () => {
    assert.throws(() => renderNginxConf(nginxConf.replace('listen 443 ssl;', 'listen 443 ssl http2;'), site), /listen 443 ssl/);
    assert.throws(() => renderNginxConf(nginxConf.replace(/^\s*server app2:8000.*$/m, ''), site), /1 upstream servers, the test starts 2/);
  });
});

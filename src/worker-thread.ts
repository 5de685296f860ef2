import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { projectPath } from './project-dir.js';

/**
 * A worker's entry: the source beside the calling module when it runs under tsx (tests, `npm run
 * dev`), else the bundle's own compiled entry `dist/<name>.js` (scripts/build.mjs lists each).
 */
export function workerEntry(callerUrl: string, source: string, name: string): URL {
  return callerUrl.endsWith('.ts') ? new URL(source, callerUrl) : pathToFileURL(projectPath('dist', `${name}.js`));
}

/** Starts a worker thread on `entry` (see workerEntry). */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  // Tests and dev scripts run the sources through tsx, whose loader a Node 20 worker does not
  // inherit: the worker registers it before importing its entry (harmless where it is inherited).
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}

import { randomBytes } from 'node:crypto';
import vm from 'node:vm';
import WebSocket from 'ws';

/**
 * A faithful-enough `wx` for running mini-program JavaScript in Node against a real server:
 * SocketTask over a real ws connection, wx.login, wx.request (with enableChunked over real
 * HTTP), storage, toasts, and Page/App/getApp. Callbacks are asynchronous, as on a phone.
 * Behaviours follow the official typings (shared notes §5).
 */

type Callbacks<T> = { success?: (res: T) => void; fail?: (err: { errMsg: string }) => void; complete?: (res: unknown) => void };

function settle<T>(options: Callbacks<T> | undefined, ok: boolean, res: T | { errMsg: string }): void {
  queueMicrotask(() => {
    if (ok) options?.success?.(res as T);
    else options?.fail?.(res as { errMsg: string });
    options?.complete?.(res);
  });
}

export interface SocketTaskShim {
  send(options: { data: string | ArrayBuffer } & Callbacks<{ errMsg: string }>): void;
  close(options?: { code?: number; reason?: string } & Callbacks<{ errMsg: string }>): void;
  onOpen(cb: (res: { header: Record<string, string> }) => void): void;
  onMessage(cb: (res: { data: string | ArrayBuffer }) => void): void;
  onClose(cb: (res: { code: number; reason: string }) => void): void;
  onError(cb: (res: { errMsg: string }) => void): void;
  /** test hook: the underlying ws client */
  readonly _ws: WebSocket;
}

export interface WxEnvironment {
  wx: Record<string, unknown>;
  /** page configs registered with Page(), in order */
  pages: Array<Record<string, any>>;
  toasts: Array<{ title: string; icon?: string }>;
  storage: Map<string, unknown>;
  sockets: SocketTaskShim[];
  /** codes handed out by wx.login, in order */
  loginCodes: string[];
  /** runs mini-program source (a page or app file) in this environment */
  run(source: string, filename: string): void;
  /** instantiates the n-th registered page the way the framework does, and calls onLoad */
  loadPage(index?: number, query?: Record<string, string>): Record<string, any>;
  /** `App.onShow` and friends: call the registered App hooks */
  app: Record<string, any> | undefined;
}

export function createWxEnvironment(options: { loginCode?: () => string } = {}): WxEnvironment {
  const storage = new Map<string, unknown>();
  const toasts: WxEnvironment['toasts'] = [];
  const sockets: SocketTaskShim[] = [];
  const loginCodes: string[] = [];
  const pages: Array<Record<string, any>> = [];
  let app: Record<string, any> | undefined;

  const connectSocket = (opts: { url: string; header?: Record<string, string>; protocols?: string[] } & Callbacks<{ errMsg: string }>) => {
    const ws = new WebSocket(opts.url, opts.protocols, { headers: opts.header });
    const listeners = { open: [] as Function[], message: [] as Function[], close: [] as Function[], error: [] as Function[] };
    ws.on('open', () => listeners.open.forEach((cb) => cb({ header: {} })));
    ws.on('message', (data, isBinary) => {
      const payload = isBinary ? new Uint8Array(data as Buffer).buffer : data.toString();
      listeners.message.forEach((cb) => cb({ data: payload }));
    });
    ws.on('close', (code, reason) => listeners.close.forEach((cb) => cb({ code, reason: reason.toString() })));
    ws.on('error', (error) => listeners.error.forEach((cb) => cb({ errMsg: `connectSocket:fail ${error.message}` })));
    const task: SocketTaskShim = {
      _ws: ws,
      send(o) {
        if (ws.readyState !== WebSocket.OPEN) return settle(o, false, { errMsg: 'sendSocketMessage:fail WebSocket is not connected' });
        ws.send(o.data, (error) => settle(o, !error, { errMsg: error ? `sendSocketMessage:fail ${error.message}` : 'sendSocketMessage:ok' }));
      },
      close(o) {
        ws.close(o?.code ?? 1000, o?.reason);
        settle(o, true, { errMsg: 'closeSocket:ok' });
      },
      onOpen: (cb) => void listeners.open.push(cb),
      onMessage: (cb) => void listeners.message.push(cb),
      onClose: (cb) => void listeners.close.push(cb),
      onError: (cb) => void listeners.error.push(cb),
    };
    sockets.push(task);
    settle(opts, true, { errMsg: 'connectSocket:ok' });
    return task;
  };

  const wx = {
    connectSocket,
    login(o: Callbacks<{ code: string; errMsg: string }>) {
      const code = options.loginCode?.() ?? `wxcode_${randomBytes(8).toString('hex')}`;
      loginCodes.push(code);
      settle(o, true, { code, errMsg: 'login:ok' });
    },
    request: createRequest(),
    setStorageSync: (key: string, value: unknown) => void storage.set(key, structuredClone(value)),
    getStorageSync: (key: string) => (storage.has(key) ? structuredClone(storage.get(key)) : ''),
    removeStorageSync: (key: string) => void storage.delete(key),
    showToast: (o: { title: string; icon?: string }) => void toasts.push({ title: o.title, icon: o.icon }),
    showLoading: () => undefined,
    hideLoading: () => undefined,
  };

  const context = vm.createContext({
    wx,
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    Page: (config: Record<string, any>) => void pages.push(config),
    App: (config: Record<string, any>) => void (app = config),
    getApp: () => app,
  });

  return {
    wx,
    pages,
    toasts,
    storage,
    sockets,
    loginCodes,
    get app() {
      return app;
    },
    run(source, filename) {
      vm.runInContext(source, context, { filename });
    },
    loadPage(index = pages.length - 1, query = {}) {
      const config = pages[index];
      if (!config) throw new Error('no page registered');
      const page: Record<string, any> = { data: structuredClone(config.data ?? {}) };
      for (const [key, value] of Object.entries(config)) {
        if (key !== 'data') page[key] = typeof value === 'function' ? value.bind(page) : value;
      }
      // setData updates this.data at once (by reference) and renders later
      page.setData = (patch: Record<string, unknown>, callback?: () => void) => {
        for (const [path, value] of Object.entries(patch)) setPath(page.data, path, value);
        if (callback) setTimeout(callback, 0);
      };
      page.onLoad?.(query);
      return page;
    },
  };
}

function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)!] = value;
}

/** wx.request over real fetch; with enableChunked, onChunkReceived gets ArrayBuffer chunks. */
function createRequest() {
  return (o: {
    url: string;
    method?: string;
    data?: unknown;
    header?: Record<string, string>;
    enableChunked?: boolean;
    timeout?: number;
  } & Callbacks<{ data: unknown; statusCode: number; header: Record<string, string>; errMsg: string }>) => {
    const controller = new AbortController();
    const chunkListeners: Array<(res: { data: ArrayBuffer }) => void> = [];
    const task = {
      abort: () => controller.abort(),
      onChunkReceived: (cb: (res: { data: ArrayBuffer }) => void) => void chunkListeners.push(cb),
      offChunkReceived: (cb: (res: { data: ArrayBuffer }) => void) => {
        const at = chunkListeners.indexOf(cb);
        if (at >= 0) chunkListeners.splice(at, 1);
      },
    };
    const method = (o.method ?? 'GET').toUpperCase();
    const headers = { 'content-type': 'application/json', ...o.header };
    const body = method === 'GET' || o.data === undefined ? undefined : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    const timer = setTimeout(() => controller.abort(), o.timeout ?? 60_000);
    void (async () => {
      try {
        const response = await fetch(o.url, { method, headers, body, signal: controller.signal });
        const header = Object.fromEntries(response.headers);
        if (o.enableChunked && response.body) {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
            const copy = chunk.slice().buffer;
            chunkListeners.forEach((cb) => cb({ data: copy }));
          }
          settle(o, true, { data: '', statusCode: response.status, header, errMsg: 'request:ok' });
        } else {
          const text = await response.text();
          let data: unknown = text;
          try {
            data = JSON.parse(text);
          } catch {
            // wx.request hands back text when it is not JSON
          }
          settle(o, true, { data, statusCode: response.status, header, errMsg: 'request:ok' });
        }
      } catch (error) {
        settle(o, false, { errMsg: `request:fail ${(error as Error).message}` });
      } finally {
        clearTimeout(timer);
      }
    })();
    return task;
  };
}

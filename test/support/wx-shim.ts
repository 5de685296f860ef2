import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, relative, resolve } from 'node:path';
import vm from 'node:vm';
import WebSocket from 'ws';
import { createWxMedia, type WxMediaControls } from './wx-media-shim.js';
import { settle, type Callbacks } from './wx-callbacks.js';

/**
 * A faithful-enough `wx` for running mini-program JavaScript in Node against a real server:
 * SocketTask over a real ws connection, wx.login, wx.request (with enableChunked over real
 * HTTP), storage, toasts, and Page/App/getApp. Callbacks are asynchronous, as on a phone.
 * Behaviours follow the official typings (shared notes §5).
 *
 * Also: a CommonJS loader for a mini-program project (`launchApp`, `openPage`, `require`),
 * App.onShow/onHide with wx.onAppShow/onAppHide, the global wx.onSocketClose, and the
 * phone's failure modes a test can switch on: a socket that goes silent without a close
 * event (`_silence`), a socket closed on suspend that fires only the global listener
 * (`_suspendClose`), HTTP chunks re-split at arbitrary byte boundaries (`rechunk`), and a
 * client whose onChunkReceived never fires (`chunkedSupported: false`, like the PC client).
 * Like a phone, the vm has no TextDecoder, Buffer or process.
 */


export interface SocketTaskShim {
  send(options: { data: string | ArrayBuffer } & Callbacks<{ errMsg: string }>): void;
  close(options?: { code?: number; reason?: string } & Callbacks<{ errMsg: string }>): void;
  onOpen(cb: (res: { header: Record<string, string> }) => void): void;
  onMessage(cb: (res: { data: string | ArrayBuffer }) => void): void;
  onClose(cb: (res: { code: number; reason: string }) => void): void;
  onError(cb: (res: { errMsg: string }) => void): void;
  /** test hook: the underlying ws client */
  readonly _ws: WebSocket;
  /**
   * iOS in the background: the connection is dead but nothing says so. From now on frames
   * are not delivered, sends "succeed" and go nowhere, and no close or error event fires.
   */
  _silence(): void;
  /**
   * iOS 8.0.48 after >10 s in the background: the socket is closed, but only the global
   * wx.onSocketClose fires, not this task's onClose.
   */
  _suspendClose(): void;
}

export interface WxEnvironment {
  wx: Record<string, unknown>;
  /** page configs registered with Page(), in order */
  pages: Array<Record<string, any>>;
  toasts: Array<{ title: string; icon?: string }>;
  /** every wx.showModal, in order */
  modals: Array<{ title?: string; content?: string; confirmText?: string }>;
  /** what the user taps in the next wx.showModal: true = confirm (the default), false = cancel */
  modalAnswer: boolean;
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
  /** every setData, in order: when, on which page, which keys */
  renders: Array<{ at: number; page: Record<string, any>; keys: string[] }>;
  /** every wx.request, in order */
  requests: Array<{ url: string; method: string; enableChunked: boolean }>;
  /** loads a CommonJS module of the project at `root` (relative path), as the mini-program runtime does */
  require(path: string): any;
  /** runs app.js (App() registers the app), then onLaunch and onShow */
  launchApp(root: string, overrides?: Record<string, unknown>): Record<string, any>;
  /** runs a page's script and instantiates it (onLoad, onShow) */
  openPage(route: string, query?: Record<string, string>): Record<string, any>;
  /** the user leaves the app: App.onHide, wx.onAppHide listeners */
  hideApp(): void;
  /** the user comes back: App.onShow, wx.onAppShow listeners */
  showApp(): void;
  /** recorder, images, uploads and audio playback (test/support/wx-media-shim.ts) */
  media: WxMediaControls;
}

export interface WxEnvironmentOptions {
  /** the mini-program project folder, for `require` before (or without) `launchApp` */
  root?: string;
  loginCode?: () => string;
  /** re-splits every HTTP body chunk before onChunkReceived (e.g. at random byte offsets) */
  rechunk?: (chunk: Uint8Array) => Uint8Array[];
  /** false: onChunkReceived never fires and the whole body arrives in success (PC client) */
  chunkedSupported?: boolean;
}

export function createWxEnvironment(options: WxEnvironmentOptions = {}): WxEnvironment {
  const storage = new Map<string, unknown>();
  const toasts: WxEnvironment['toasts'] = [];
  const modals: WxEnvironment['modals'] = [];
  let modalAnswer = true;
  const sockets: SocketTaskShim[] = [];
  const loginCodes: string[] = [];
  const pages: Array<Record<string, any>> = [];
  let app: Record<string, any> | undefined;

  const renders: WxEnvironment['renders'] = [];
  const requests: WxEnvironment['requests'] = [];
  const appShow: Function[] = [];
  const appHide: Function[] = [];
  const globalSocketClose: Function[] = [];
  const media = createWxMedia();

  const connectSocket = (opts: { url: string; header?: Record<string, string>; protocols?: string[]; perMessageDeflate?: boolean } & Callbacks<{ errMsg: string }>) => {
    // as WeChat: the compression extension is offered only when asked for (default false)
    const ws = new WebSocket(opts.url, opts.protocols, { headers: opts.header, perMessageDeflate: opts.perMessageDeflate === true });
    const listeners = { open: [] as Function[], message: [] as Function[], close: [] as Function[], error: [] as Function[] };
    /** 'live' normally; 'silent' swallows everything; 'suspended' fires only the global close */
    let mode: 'live' | 'silent' | 'suspended' = 'live';
    const emit = (kind: keyof typeof listeners, res: unknown) => {
      if (mode === 'live') listeners[kind].forEach((cb) => cb(res));
    };
    ws.on('open', () => emit('open', { header: {} }));
    ws.on('message', (data, isBinary) => {
      const payload = isBinary ? new Uint8Array(data as Buffer).buffer : data.toString();
      emit('message', { data: payload });
    });
    ws.on('close', (code, reason) => {
      const res = { code, reason: reason.toString() };
      emit('close', res);
      if (mode !== 'silent') globalSocketClose.forEach((cb) => cb(res));
    });
    ws.on('error', (error) => emit('error', { errMsg: `connectSocket:fail ${error.message}` }));
    const task: SocketTaskShim = {
      _ws: ws,
      send(o) {
        if (mode === 'silent') return settle(o, true, { errMsg: 'sendSocketMessage:ok' });
        if (ws.readyState !== WebSocket.OPEN) return settle(o, false, { errMsg: 'sendSocketMessage:fail WebSocket is not connected' });
        ws.send(o.data, (error) => settle(o, !error, { errMsg: error ? `sendSocketMessage:fail ${error.message}` : 'sendSocketMessage:ok' }));
      },
      close(o) {
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(o?.code ?? 1000, o?.reason);
        settle(o, true, { errMsg: 'closeSocket:ok' });
      },
      onOpen: (cb) => void listeners.open.push(cb),
      onMessage: (cb) => void listeners.message.push(cb),
      onClose: (cb) => void listeners.close.push(cb),
      onError: (cb) => void listeners.error.push(cb),
      _silence() {
        mode = 'silent';
      },
      _suspendClose() {
        mode = 'suspended';
        ws.terminate();
      },
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
    request: createRequest(options, requests),
    onSocketClose: (cb: Function) => void globalSocketClose.push(cb),
    onAppShow: (cb: Function) => void appShow.push(cb),
    onAppHide: (cb: Function) => void appHide.push(cb),
    offAppShow: (cb: Function) => remove(appShow, cb),
    offAppHide: (cb: Function) => remove(appHide, cb),
    setClipboardData: (o: Callbacks<{ errMsg: string }>) => settle(o, true, { errMsg: 'setClipboardData:ok' }),
    setStorageSync: (key: string, value: unknown) => void storage.set(key, structuredClone(value)),
    getStorageSync: (key: string) => (storage.has(key) ? structuredClone(storage.get(key)) : ''),
    removeStorageSync: (key: string) => void storage.delete(key),
    showToast: (o: { title: string; icon?: string }) => void toasts.push({ title: o.title, icon: o.icon }),
    showModal: (o: { title?: string; content?: string; confirmText?: string } & Callbacks<{ confirm: boolean; cancel: boolean; errMsg: string }>) => {
      modals.push({ title: o.title, content: o.content, confirmText: o.confirmText });
      settle(o, true, { confirm: modalAnswer, cancel: !modalAnswer, errMsg: 'showModal:ok' });
    },
    showLoading: () => undefined,
    hideLoading: () => undefined,
    ...media.api,
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
    getCurrentPages: () => [...openPages],
  });
  const openPages: Array<Record<string, any>> = [];

  // CommonJS as the mini-program runtime does it: one wrapper per file, relative paths, a cache.
  let root = options.root ? resolve(options.root) : '';
  const cache = new Map<string, { exports: any }>();
  let overrides: Record<string, unknown> = {};
  const requireFrom = (fromDir: string, request: string): any => {
    if (!request.startsWith('.')) throw new Error(`mini-program require takes relative paths, got "${request}"`);
    let file = resolve(fromDir, request);
    if (extname(file) === '') file += '.js';
    const key = relative(root, file).split('\\').join('/');
    if (key in overrides) return overrides[key];
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const module = vm.runInContext('({ exports: {} })', context) as { exports: any };
    cache.set(file, module);
    const wrapper = vm.runInContext(`(function (module, exports, require) {${readFileSync(file, 'utf8')}\n})`, context, { filename: file });
    wrapper.call(undefined, module, module.exports, (next: string) => requireFrom(dirname(file), next));
    return module.exports;
  };

  const instantiate = (config: Record<string, any>, query: Record<string, string>) => {
    const page: Record<string, any> = { data: structuredClone(config.data ?? {}) };
    for (const [key, value] of Object.entries(config)) {
      if (key !== 'data') page[key] = typeof value === 'function' ? value.bind(page) : value;
    }
    // setData updates this.data at once (by reference) and renders later
    page.setData = (patch: Record<string, unknown>, callback?: () => void) => {
      renders.push({ at: Date.now(), page, keys: Object.keys(patch) });
      for (const [path, value] of Object.entries(patch)) setPath(page.data, path, value);
      if (callback) setTimeout(callback, 0);
    };
    openPages.push(page);
    page.onLoad?.(query);
    page.onShow?.();
    return page;
  };

  return {
    wx,
    pages,
    toasts,
    modals,
    get modalAnswer() {
      return modalAnswer;
    },
    set modalAnswer(value: boolean) {
      modalAnswer = value;
    },
    storage,
    sockets,
    loginCodes,
    renders,
    requests,
    media: media.controls,
    get app() {
      return app;
    },
    require(path) {
      if (!root) throw new Error('launchApp(root) first');
      return requireFrom(root, path.startsWith('.') ? path : `./${path}`);
    },
    launchApp(projectRoot, moduleOverrides = {}) {
      root = resolve(projectRoot);
      overrides = moduleOverrides;
      requireFrom(root, './app.js');
      if (!app) throw new Error('app.js did not call App()');
      app.onLaunch?.({ path: 'pages/chat/chat', query: {}, scene: 1001 });
      app.onShow?.({ path: 'pages/chat/chat', query: {}, scene: 1001 });
      return app;
    },
    openPage(route, query = {}) {
      const before = pages.length;
      requireFrom(root, `./${route}.js`);
      const config = pages[before];
      if (!config) throw new Error(`${route}.js did not call Page()`);
      return instantiate(config, query);
    },
    hideApp() {
      app?.onHide?.();
      appHide.forEach((cb) => cb());
    },
    showApp() {
      const res = { path: 'pages/chat/chat', query: {}, scene: 1001 };
      app?.onShow?.(res);
      appShow.forEach((cb) => cb(res));
    },
    run(source, filename) {
      vm.runInContext(source, context, { filename });
    },
    loadPage(index = pages.length - 1, query = {}) {
      const config = pages[index];
      if (!config) throw new Error('no page registered');
      return instantiate(config, query);
    },
  };
}

function remove(list: Function[], cb: Function): void {
  const at = list.indexOf(cb);
  if (at >= 0) list.splice(at, 1);
}

function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)!] = value;
}

/**
 * wx.request over real fetch; with enableChunked, onChunkReceived gets ArrayBuffer chunks
 * (re-split by `rechunk` when given). `responseType: 'arraybuffer'` hands back an ArrayBuffer.
 */
function createRequest(env: WxEnvironmentOptions, log: WxEnvironment['requests']) {
  return (o: {
    url: string;
    method?: string;
    data?: unknown;
    header?: Record<string, string>;
    enableChunked?: boolean;
    responseType?: 'text' | 'arraybuffer';
    timeout?: number;
  } & Callbacks<{ data: unknown; statusCode: number; header: Record<string, string>; errMsg: string }>) => {
    const controller = new AbortController();
    const chunkListeners: Array<(res: { data: ArrayBuffer }) => void> = [];
    let aborted = false;
    const task = {
      abort: () => {
        aborted = true;
        controller.abort();
      },
      onChunkReceived: (cb: (res: { data: ArrayBuffer }) => void) => void chunkListeners.push(cb),
      offChunkReceived: (cb: (res: { data: ArrayBuffer }) => void) => {
        const at = chunkListeners.indexOf(cb);
        if (at >= 0) chunkListeners.splice(at, 1);
      },
    };
    const method = (o.method ?? 'GET').toUpperCase();
    log.push({ url: o.url, method, enableChunked: Boolean(o.enableChunked) });
    const headers = { 'content-type': 'application/json', ...o.header };
    const body = method === 'GET' || o.data === undefined ? undefined : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    const timer = setTimeout(() => controller.abort(), o.timeout ?? 60_000);
    const streamChunks = o.enableChunked && env.chunkedSupported !== false;
    const deliver = (chunk: Uint8Array) => {
      for (const piece of env.rechunk ? env.rechunk(chunk) : [chunk]) {
        const copy = piece.slice().buffer;
        chunkListeners.forEach((cb) => cb({ data: copy }));
      }
    };
    void (async () => {
      try {
        const response = await fetch(o.url, { method, headers, body, signal: controller.signal });
        const header = Object.fromEntries(response.headers);
        if (streamChunks && response.body) {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) deliver(chunk);
          settle(o, true, { data: '', statusCode: response.status, header, errMsg: 'request:ok' });
        } else if (o.responseType === 'arraybuffer') {
          const data = await response.arrayBuffer();
          settle(o, true, { data, statusCode: response.status, header, errMsg: 'request:ok' });
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
        settle(o, false, { errMsg: aborted ? 'request:fail abort' : `request:fail ${(error as Error).message}` });
      } finally {
        clearTimeout(timer);
      }
    })();
    return task;
  };
}

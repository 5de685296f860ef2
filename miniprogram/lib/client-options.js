/**
 * Every knob of the chat client, with its default and unit. Pass overrides to
 * `createChatClient({ url: 'wss://…', reconnect: { maxDelay: 10000 } })`; nested groups
 * are merged key by key. Tests shrink the timers to milliseconds.
 */
var DEFAULTS = {
  /** wss://your-domain.com/wechat/ws — must be a "socket 合法域名" in production */
  url: '',
  /** wx storage key holding session_id (protocol §2.2: keep it, log in with it after a reconnect) */
  storageKey: 'wag_session_id',
  /** ask for chat_delta frames (protocol §3.2) */
  stream: true,
  /** `use_auto_rag` sent with every chat unless chat() says otherwise */
  useAutoRag: false,

  /** Reconnect policy (as Hocuspocus's provider): delay * factor^attempt, capped, jittered. */
  reconnect: {
    /** first retry after about this many ms */
    delay: 1000,
    /** each failed attempt multiplies the delay by this */
    factor: 2,
    /** never wait longer than this, ms (protocol §8 suggests 30 s) */
    maxDelay: 30000,
    /** 0…1: take up to this share off each delay at random, so phones do not reconnect in lockstep */
    jitter: 0.5,
  },

  /**
   * Heartbeat. The server closes sockets silent for 120 s (close 4002), and iOS often kills a
   * backgrounded socket without any close event: only a missing pong tells.
   */
  heartbeat: {
    /** send `ping` this often while connected, ms (protocol: every 20–25 s) */
    interval: 20000,
    /** a ping unanswered for this long counts as missed, ms (any frame counts as an answer) */
    pongTimeout: 10000,
    /** this many missed pongs in a row = the socket is dead: drop it and reconnect */
    maxMissed: 2,
  },

  /** ms to wait for wx.connectSocket to open (its `timeout` option, base library ≥ 2.10.0) */
  connectTimeout: 10000,
  /**
   * offer permessage-deflate (wx.connectSocket's `perMessageDeflate`, base library ≥ 2.8.0): a
   * gateway with WS_COMPRESSION=true then sends history pages and long answers ~7× smaller;
   * a gateway without it declines and nothing changes
   */
  perMessageDeflate: false,
  /** ms to wait for the reply to history / clear / cancel before rejecting */
  requestTimeout: 15000,
  /** messages kept while disconnected; more are refused with `queue_full` */
  queueLimit: 50,
  /**
   * The platform suspends a backgrounded mini-program after ~5 s and its sockets die with it.
   * Coming back after at least this long (ms), the socket is replaced without asking it.
   */
  suspendAfter: 5000,
  /** follow wx.onAppShow / wx.onAppHide (the same events as App.onShow / App.onHide) */
  watchApp: true,
  /**
   * Also listen to the global wx.onSocketClose (iOS may fire only that one when suspending) and
   * then check our socket with a ping. The global listener is shared by the whole mini-program:
   * turn this off if your own code relies on wx.onSocketClose.
   */
  watchGlobalSocketClose: true,
  /** log frames with console.debug */
  debug: false,
}

function mergeOptions(overrides) {
  var out = {}
  var given = overrides || {}
  for (var key in DEFAULTS) {
    var base = DEFAULTS[key]
    var value = given[key]
    if (base && typeof base === 'object') {
      out[key] = {}
      for (var sub in base) out[key][sub] = value && value[sub] !== undefined ? value[sub] : base[sub]
    } else out[key] = value !== undefined ? value : base
  }
  return out
}

module.exports = { DEFAULTS: DEFAULTS, mergeOptions: mergeOptions }

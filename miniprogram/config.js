/**
 * 服务器地址：改成你的域名。正式环境只能用 wss:// 与 https://，且域名要在小程序后台
 * “开发管理 → 开发设置 → 服务器域名”中配置为 socket / request 合法域名（见 docs/miniprogram.md）。
 * 本地调试可用 ws://127.0.0.1:8000，并在开发者工具中勾选“不校验合法域名”。
 */
module.exports = {
  wsUrl: 'wss://your-domain.com/wechat/ws',
  httpBaseUrl: 'https://your-domain.com',
  /** 'socket'（推荐：流式、断线续传）或 'http'（wx.request 分块传输兜底，基础库 ≥ 2.20.2） */
  transport: 'socket',
  /** 覆盖 lib/client-options.js 中的默认值，例如 { reconnect: { maxDelay: 10000 } } */
  client: {},
}

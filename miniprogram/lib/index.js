/**
 * wechat-ai-gateway client kit for mini-programs. Copy this `lib/` folder into your project
 * and require this file (mini-program require takes relative paths only):
 *
 *   var wag = require('../../lib/index.js')
 *   App({ chat: wag.createChatClient({ url: 'wss://your-domain.com/wechat/ws' }) })
 *
 * Everything is plain ES2015 CommonJS with no dependencies and no build step.
 * See docs/miniprogram.md.
 */
var chatClient = require('./chat-client.js')
var httpChatClient = require('./http-chat-client.js')
var markdown = require('./markdown-nodes.js')
var errorText = require('./error-text.js')
var throttle = require('./throttle.js')

module.exports = {
  /** WebSocket client: streaming, reconnect, resume (the one to use) */
  createChatClient: chatClient.createChatClient,
  ChatClient: chatClient.ChatClient,
  /** wx.request + enableChunked fallback, same surface */
  createHttpChatClient: httpChatClient.createHttpChatClient,
  HttpChatClient: httpChatClient.HttpChatClient,
  /** Markdown → <rich-text nodes> */
  toNodes: markdown.toNodes,
  /** error reason → Chinese toast text */
  toastText: errorText.toastText,
  /** keeps setData under ~20 a second while streaming */
  createThrottle: throttle.createThrottle,
}

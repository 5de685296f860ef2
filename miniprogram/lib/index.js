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
var mediaClient = require('./media-client.js')
var voiceRecorder = require('./voice-recorder.js')
var speechPlayer = require('./speech-player.js')
var upload = require('./upload.js')

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
  /** photos and voice: pick/compress, upload with progress and retry, ask (docs/miniprogram.md) */
  createMediaClient: mediaClient.createMediaClient,
  uploadFile: upload.uploadFile,
  /** hold-to-talk over RecorderManager (mp3, 16 kHz mono) */
  createVoiceRecorder: voiceRecorder.createVoiceRecorder,
  /** a play button per answer: one InnerAudioContext, signed URLs from /wechat/speech */
  createSpeechPlayer: speechPlayer.createSpeechPlayer,
}

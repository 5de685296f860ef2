var wag = require('./lib/index.js')
var config = require('./config.js')

function createClient() {
  if (config.transport === 'http') return wag.createHttpChatClient({ baseUrl: config.httpBaseUrl })
  return wag.createChatClient(Object.assign({ url: config.wsUrl }, config.client))
}

App({
  // One client for the whole app, shared by every page and outliving them. Pages reach it
  // with getApp().chat and never put it in page data (data is copied to the render thread).
  chat: createClient(),

  onLaunch: function () {
    // connect early: login and history are ready by the time the user types
    this.chat.start()
  },

  // Nothing to do in onShow / onHide: the client follows wx.onAppShow / wx.onAppHide (the
  // same events) and replaces the socket when the app comes back from a suspension.
})

/**
 * The chat page's photos and voice, kept apart from chat.js: `Page(withMedia({...}))` adds
 * - photos: pick up to 4 (compressed), shown above the input, sent with the next question and
 *   shown as thumbnails on the user's message; upload progress in the status line;
 * - hold-to-talk: press to record, slide up to cancel, release to send; the user's row shows
 *   "语音识别中…" until the transcript arrives;
 * - a play button under each finished AI answer (one plays at a time).
 * Uses the page's own `showQuestion`, `indexOf` and `chat`. See docs/miniprogram.md.
 */
var wag = require('../../lib/index.js')
var config = require('../../config.js')

/** a photo question without text still needs a question (the gateway refuses an empty one) */
var DEFAULT_IMAGE_QUESTION = '请看看这张图片'
var VOICE_TEXT = { idle: '按住 说话', recording: '松开 发送，上滑 取消', cancelling: '松开手指，取消发送' }

var methods = {
  initMedia: function () {
    var self = this
    this.media = wag.createMediaClient(wx, { chat: this.chat, baseUrl: config.httpBaseUrl })
    this.recorder = wag.createVoiceRecorder(wx, {
      onState: function (state) {
        self.setData({ voiceState: state, voiceText: VOICE_TEXT[state] || VOICE_TEXT.idle })
      },
      onRecorded: function (file) {
        self.sendVoice(file)
      },
    })
    this.player = wag.createSpeechPlayer(wx, {
      baseUrl: config.httpBaseUrl,
      sessionId: this.media.sessionId,
      onState: function (s) {
        self.setData({ playingId: s.playing ? s.answerId : '' })
      },
    })
    this.offs.push(
      this.chat.on('transcript', function (t) {
        var i = self.indexOf('l-' + t.localId + '-q')
        if (i < 0) return
        var patch = {}
        patch['messages[' + i + '].text'] = t.text
        self.setData(patch)
      })
    )
  },

  onToggleVoice: function () {
    this.setData({ voiceMode: !this.data.voiceMode })
  },

  onVoiceStart: function (e) {
    if (this.data.busy || this.data.uploading) return wx.showToast({ title: '上一个回答还没结束', icon: 'none' })
    this.recorder.touchStart(e)
  },
  onVoiceMove: function (e) {
    this.recorder.touchMove(e)
  },
  onVoiceEnd: function (e) {
    this.recorder.touchEnd(e)
  },
  onVoiceCancel: function () {
    this.recorder.touchCancel()
  },

  sendVoice: function (file) {
    var self = this
    this.uploadThen([file.tempFilePath], function (ids) {
      self.ask('', { audio: ids[0] }, { text: '语音识别中…', voice: true })
    })
  },

  onPickImages: function () {
    var self = this
    var have = this.data.pendingImages.length
    this.media.pickImages(have).then(
      function (paths) {
        if (paths.length) self.setData({ pendingImages: self.data.pendingImages.concat(paths) })
      },
      function (error) {
        wx.showToast({ title: error.text, icon: 'none' })
      }
    )
  },

  onRemoveImage: function (e) {
    var at = Number(e.currentTarget.dataset.index)
    this.setData({ pendingImages: this.data.pendingImages.filter(function (_, i) { return i !== at }) })
  },

  /** onSend with photos waiting: upload them, then ask with the text (or a default question) */
  sendWithImages: function () {
    var self = this
    var paths = this.data.pendingImages.slice()
    var query = (this.data.inputValue || '').trim() || DEFAULT_IMAGE_QUESTION
    if (this.data.busy || this.data.uploading) return wx.showToast({ title: '上一个回答还没结束', icon: 'none' })
    this.uploadThen(paths, function (ids) {
      self.setData({ pendingImages: [] })
      self.ask(query, { images: ids }, { text: query, images: paths })
    })
  },

  /** uploads one file after another, "正在上传 2/3：45%" in the status line; failures are toasted */
  uploadThen: function (paths, then) {
    var self = this
    this.setData({ uploading: '正在上传…' })
    this.media.uploadAll(paths, function (i, percent) {
      var text = '正在上传' + (paths.length > 1 ? ' ' + (i + 1) + '/' + paths.length : '') + '：' + percent + '%'
      if (text !== self.data.uploading) self.setData({ uploading: text })
    }).then(
      function (ids) {
        self.setData({ uploading: '' })
        then(ids)
      },
      function (error) {
        self.setData({ uploading: '' })
        wx.showToast({ title: error.text || '上传失败，请重试', icon: 'none' })
      }
    )
  },

  ask: function (query, options, user) {
    this.sending = true
    var answer = this.chat.chat(query, options)
    this.sending = false
    if (answer) this.showQuestion(answer, user)
  },

  onPlay: function (e) {
    this.player.toggle(e.currentTarget.dataset.id)
  },

  /** tapping a thumbnail opens the photos full size */
  onPreviewImage: function (e) {
    var d = e.currentTarget.dataset
    wx.previewImage({ current: d.src, urls: d.urls })
  },
}

/** @param {object} page  the chat page's Page() config; returns it with photos and voice added */
function withMedia(page) {
  var load = page.onLoad
  var unload = page.onUnload
  var send = page.onSend
  page.data = Object.assign({}, page.data, { pendingImages: [], uploading: '', voiceMode: false, voiceState: 'idle', voiceText: VOICE_TEXT.idle, playingId: '' })
  for (var name in methods) page[name] = methods[name]
  page.onLoad = function () {
    load.apply(this, arguments)
    this.initMedia()
  }
  page.onUnload = function () {
    if (this.player) this.player.destroy()
    unload.apply(this, arguments)
  }
  page.onSend = function () {
    if (this.data.pendingImages.length) return this.sendWithImages()
    return send.apply(this, arguments)
  }
  return page
}

module.exports = { withMedia: withMedia, DEFAULT_IMAGE_QUESTION: DEFAULT_IMAGE_QUESTION }

/**
 * Plays AI answers aloud: one InnerAudioContext for the page, so starting an answer stops the one
 * playing. InnerAudioContext cannot send headers, so each play first asks the gateway for a signed
 * URL (`POST /wechat/speech/{answer_id}/url`, Bearer session; cheap, valid ~10 minutes) and plays
 * that. The first play streams while the gateway synthesizes; replays come from its cache.
 *
 * @example
 * var player = createSpeechPlayer(wx, { baseUrl: 'https://api.example.com', sessionId: function () { return chat.session.sessionId },
 *   onState: function (s) { page.setData({ playingId: s.playing ? s.answerId : '' }) } })
 * player.toggle(answerId) // play, or stop when this answer is the one playing
 */
var errorText = require('./error-text.js')

/**
 * @param {object} wx
 * @param {{baseUrl: string, sessionId: string|function(): string, onState?: function({answerId: string, playing: boolean}),
 *   onError?: function({reason: string, text: string})}} options
 */
function SpeechPlayer(wx, options) {
  this.wx = wx
  this.options = options
  this.playingId = ''
  this.token = 0
  this.audio = null
}

SpeechPlayer.prototype.context = function () {
  if (this.audio) return this.audio
  var self = this
  var audio = this.wx.createInnerAudioContext()
  // plays even when the phone is on silent (the user tapped "play": they want to hear it)
  if (this.wx.setInnerAudioOption) this.wx.setInnerAudioOption({ obeyMuteSwitch: false })
  audio.onEnded(function () {
    self.finished()
  })
  audio.onError(function (res) {
    self.finished()
    self.fail({ reason: 'audio_error', code: 0, message: (res && res.errMsg) || '' }, '播放失败，请重试')
  })
  this.audio = audio
  return audio
}

SpeechPlayer.prototype.emit = function (answerId, playing) {
  if (this.options.onState) this.options.onState({ answerId: answerId, playing: playing })
}

SpeechPlayer.prototype.fail = function (error, text) {
  error.text = text || errorText.toastText(error)
  if (this.options.onError) this.options.onError(error)
  else this.wx.showToast({ title: error.text, icon: 'none' })
}

SpeechPlayer.prototype.finished = function () {
  var id = this.playingId
  this.playingId = ''
  if (id) this.emit(id, false)
}

/** Stops whatever is playing (or about to). */
SpeechPlayer.prototype.stop = function () {
  this.token++
  if (this.audio && this.playingId) this.audio.stop()
  this.finished()
}

/** Plays the answer, or stops it when it is the one playing. */
SpeechPlayer.prototype.toggle = function (answerId) {
  if (answerId && answerId === this.playingId) return this.stop()
  this.play(answerId)
}

SpeechPlayer.prototype.play = function (answerId) {
  if (!answerId) return
  this.stop()
  var token = this.token
  var self = this
  var sessionId = typeof this.options.sessionId === 'function' ? this.options.sessionId() : this.options.sessionId
  var base = String(this.options.baseUrl || '').replace(/\/+$/, '')
  this.playingId = answerId
  this.emit(answerId, true)
  this.wx.request({
    url: base + '/wechat/speech/' + encodeURIComponent(answerId) + '/url',
    method: 'POST',
    data: {},
    header: { Authorization: 'Bearer ' + sessionId },
    success: function (res) {
      if (token !== self.token) return // another play or a stop came first
      var body = res.data || {}
      if (res.statusCode !== 200 || body.code !== 0 || !body.data || !body.data.url) {
        self.finished()
        return self.fail({ reason: (body.data && body.data.reason) || 'speech_failed', code: body.code || res.statusCode, message: body.message || '' })
      }
      var audio = self.context()
      audio.src = /^https?:/.test(body.data.url) ? body.data.url : base + body.data.url
      audio.play()
    },
    fail: function () {
      if (token !== self.token) return
      self.finished()
      self.fail({ reason: 'network_error', code: 0, message: '' }, '网络不给力，请重试')
    },
  })
}

SpeechPlayer.prototype.destroy = function () {
  this.stop()
  if (this.audio) this.audio.destroy()
  this.audio = null
}

function createSpeechPlayer(wx, options) {
  return new SpeechPlayer(wx, options)
}

module.exports = { createSpeechPlayer: createSpeechPlayer, SpeechPlayer: SpeechPlayer }

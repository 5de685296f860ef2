/**
 * Hold-to-talk: press to record, release to send, slide up to cancel, too-short presses ignored.
 * Bind the button's touchstart / touchmove / touchend / touchcancel to the four methods.
 *
 * The recorder settings are what the gateway's speech recognition takes without conversion:
 * MP3, 16 kHz mono, 48 kbps (≈ 360 KB a minute). Never `silk` (WeChat's own codec, decoded
 * only with extra work) and not `aac` (fine too, but MP3 needs no container parsing); 16 kHz
 * is what ASR models are trained on — higher rates cost bytes, not accuracy.
 *
 * @example
 * var rec = createVoiceRecorder(wx, { onRecorded: function (f) { media.askByVoice(f) }, onState: function (s) { page.setData({ voice: s }) } })
 * // <view bindtouchstart="onVoiceStart" bindtouchmove="onVoiceMove" bindtouchend="onVoiceEnd" bindtouchcancel="onVoiceCancel">
 */
var RECORD_OPTIONS = { format: 'mp3', sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000, duration: 60000 }
var DEFAULTS = { minDurationMs: 1000, cancelDistancePx: 60 }
var DENIED_TEXT = '无法录音：请点右上角「···」→「设置」，打开「麦克风」权限'

/**
 * @param {object} wx
 * @param {{onRecorded: function({tempFilePath: string, duration: number, fileSize: number}),
 *   onState?: function(string), onError?: function(string), minDurationMs?: number, cancelDistancePx?: number}} options
 *   states: 'idle' | 'recording' | 'cancelling' (finger slid up: release cancels)
 */
function VoiceRecorder(wx, options) {
  this.wx = wx
  this.options = options
  this.minDurationMs = options.minDurationMs || DEFAULTS.minDurationMs
  this.cancelDistancePx = options.cancelDistancePx || DEFAULTS.cancelDistancePx
  this.manager = wx.getRecorderManager()
  /** 'idle' | 'asking' (permission) | 'recording' */
  this.phase = 'idle'
  this.startY = 0
  this.cancelled = false
  this.released = false
  var self = this
  this.manager.onStart(function () {
    if (self.released) self.manager.stop() // let go while it was starting
  })
  this.manager.onStop(function (res) {
    var cancelled = self.cancelled
    self.reset()
    if (cancelled) return
    if (!res || !res.tempFilePath || (res.duration || 0) < self.minDurationMs) return self.error('说话时间太短')
    self.options.onRecorded({ tempFilePath: res.tempFilePath, duration: res.duration, fileSize: res.fileSize })
  })
  this.manager.onError(function (res) {
    self.reset()
    var msg = (res && res.errMsg) || ''
    self.error(/auth|permission|deny/i.test(msg) ? DENIED_TEXT : '录音失败，请重试')
  })
}

VoiceRecorder.prototype.state = function (s) {
  if (this.options.onState) this.options.onState(s)
}

VoiceRecorder.prototype.error = function (text) {
  if (this.options.onError) this.options.onError(text)
  else this.wx.showToast({ title: text, icon: 'none' })
}

VoiceRecorder.prototype.reset = function () {
  this.phase = 'idle'
  this.cancelled = false
  this.released = false
  this.state('idle')
}

/** touchstart: ask for scope.record once, then record */
VoiceRecorder.prototype.touchStart = function (e) {
  if (this.phase !== 'idle') return
  this.phase = 'asking'
  this.cancelled = false
  this.released = false
  this.startY = touchY(e)
  var self = this
  this.ensurePermission(function (ok) {
    if (!ok) {
      self.phase = 'idle'
      return self.error(DENIED_TEXT)
    }
    if (self.released && self.cancelled) return self.reset()
    self.phase = 'recording'
    self.state('recording')
    self.manager.start(RECORD_OPTIONS)
  })
}

/** touchmove: sliding up past the threshold arms "release to cancel"; sliding back disarms it */
VoiceRecorder.prototype.touchMove = function (e) {
  if (this.phase === 'idle') return
  var up = this.startY - touchY(e) > this.cancelDistancePx
  if (up !== this.cancelled) {
    this.cancelled = up
    this.state(up ? 'cancelling' : 'recording')
  }
}

VoiceRecorder.prototype.touchEnd = function () {
  if (this.phase === 'idle') return
  this.released = true
  if (this.phase === 'recording') this.manager.stop()
}

VoiceRecorder.prototype.touchCancel = function () {
  this.cancelled = true
  this.touchEnd()
}

/**
 * scope.record: never asked → wx.authorize shows the system prompt; denied before → authorize
 * fails at once (WeChat asks only once), and only the settings page can turn it back on.
 */
VoiceRecorder.prototype.ensurePermission = function (done) {
  var wx = this.wx
  wx.getSetting({
    success: function (res) {
      var granted = res.authSetting && res.authSetting['scope.record']
      if (granted === true) return done(true)
      if (granted === false) return done(false)
      wx.authorize({
        scope: 'scope.record',
        success: function () {
          done(true)
        },
        fail: function () {
          done(false)
        },
      })
    },
    fail: function () {
      done(true) // let RecorderManager ask; its onError reports a refusal
    },
  })
}

function touchY(e) {
  var t = e && ((e.touches && e.touches[0]) || (e.changedTouches && e.changedTouches[0]))
  return t ? t.clientY || t.pageY || 0 : 0
}

function createVoiceRecorder(wx, options) {
  return new VoiceRecorder(wx, options)
}

module.exports = { createVoiceRecorder: createVoiceRecorder, VoiceRecorder: VoiceRecorder, RECORD_OPTIONS: RECORD_OPTIONS, DENIED_TEXT: DENIED_TEXT }

/**
 * Photos and voice for a ChatClient: pick and compress photos, upload them or a recording, and
 * ask with them. Built on ./upload.js (progress, retry), ./voice-recorder.js (hold-to-talk) and
 * ./speech-player.js (play an answer). The session is the chat client's own.
 *
 * @example
 * var media = createMediaClient(wx, { chat: getApp().chat, baseUrl: 'https://api.example.com' })
 * media.pickImages(0).then(function (paths) {
 *   return media.uploadAll(paths, function (i, p) { console.log('图片', i, p + '%') })
 * }).then(function (ids) { chat.chat('这是什么？', { images: ids }) })
 */
var uploadFile = require('./upload.js').uploadFile

var MAX_IMAGES = 4
/** chooseMedia's "compressed" is the phone's own choice; 80 keeps text on photos legible */
var COMPRESS_QUALITY = 80

/**
 * @param {object} wx
 * @param {{chat: object, baseUrl: string, retries?: number, backoff?: object}} options
 */
function MediaClient(wx, options) {
  this.wx = wx
  this.chat = options.chat
  this.baseUrl = String(options.baseUrl || '').replace(/\/+$/, '')
  this.retries = options.retries
  this.backoff = options.backoff
  var self = this
  this.sessionId = function () {
    var s = self.chat && self.chat.session
    return (s && s.sessionId) || wx.getStorageSync((self.chat && self.chat.options && self.chat.options.storageKey) || 'wag_session_id')
  }
}

/**
 * Lets the user choose up to `MAX_IMAGES - already` photos (album or camera), each compressed.
 * Resolves with temp file paths; [] when the user cancels.
 */
MediaClient.prototype.pickImages = function (already) {
  var wx = this.wx
  var room = MAX_IMAGES - (already || 0)
  if (room <= 0) return Promise.reject({ reason: 'too_many_images', text: '最多选择 ' + MAX_IMAGES + ' 张图片' })
  return new Promise(function (resolve, reject) {
    wx.chooseMedia({
      count: room,
      mediaType: ['image'],
      sourceType: ['album', 'camera'],
      sizeType: ['compressed'],
      success: function (res) {
        resolve((res.tempFiles || []).slice(0, room).map(function (f) {
          return f.tempFilePath
        }))
      },
      fail: function (res) {
        var msg = (res && res.errMsg) || ''
        if (msg.indexOf('cancel') >= 0) return resolve([])
        reject({ reason: 'choose_failed', message: msg, text: '选择图片失败，请重试' })
      },
    })
  }).then(function (paths) {
    return Promise.all(paths.map(function (path) {
      return compress(wx, path)
    }))
  })
}

/** wx.compressImage; when it fails (an odd format, an old client) the original is used */
function compress(wx, path) {
  return new Promise(function (resolve) {
    wx.compressImage({
      src: path,
      quality: COMPRESS_QUALITY,
      success: function (res) {
        resolve(res.tempFilePath || path)
      },
      fail: function () {
        resolve(path)
      },
    })
  })
}

/** Uploads one file; resolves with the server's `{upload_id, kind, bytes, mime, seconds?}`. */
MediaClient.prototype.upload = function (filePath, onProgress) {
  return uploadFile(this.wx, {
    url: this.baseUrl + '/wechat/upload',
    filePath: filePath,
    sessionId: this.sessionId,
    onProgress: onProgress,
    retries: this.retries,
    backoff: this.backoff,
  })
}

/** Uploads the files one after another (a phone's uplink is the bottleneck); resolves with their ids. */
MediaClient.prototype.uploadAll = function (paths, onProgress) {
  var self = this
  var ids = []
  return paths.reduce(function (done, path, i) {
    return done.then(function () {
      return self.upload(path, function (p) {
        if (onProgress) onProgress(i, p)
      }).then(function (up) {
        ids.push(up.upload_id)
      })
    })
  }, Promise.resolve()).then(function () {
    return ids
  })
}

/** A photo question: uploads, then asks. Resolves with the answer's first snapshot (null: refused). */
MediaClient.prototype.askWithImages = function (query, paths, onProgress) {
  var chat = this.chat
  return this.uploadAll(paths, onProgress).then(function (ids) {
    return chat.chat(query, { images: ids })
  })
}

/** A voice question: uploads the recording, then asks; the transcript arrives as a `transcript` event. */
MediaClient.prototype.askByVoice = function (file, onProgress) {
  var chat = this.chat
  return this.upload(file.tempFilePath, onProgress).then(function (up) {
    return chat.chat('', { audio: up.upload_id })
  })
}

function createMediaClient(wx, options) {
  return new MediaClient(wx, options)
}

module.exports = { createMediaClient: createMediaClient, MediaClient: MediaClient, MAX_IMAGES: MAX_IMAGES }

/**
 * Uploads a photo or a recording to `POST /wechat/upload` with wx.uploadFile (multipart, field
 * `file`, `Authorization: Bearer <session_id>`), reporting progress and retrying what a retry
 * can fix: a dropped network, 5xx, a short 429. Never retried: 4xx the user must act on
 * (413 too large, 415 not a photo/recording, 404, 401).
 *
 * wx.uploadFile hands the body back as a string: it is parsed here.
 *
 * @example
 * uploadFile(wx, { url: 'https://api.example.com/wechat/upload', filePath: res.tempFilePath,
 *   sessionId: 'sess_…', onProgress: function (p) { console.log(p + '%') } })
 *   .then(function (up) { console.log(up.upload_id, up.kind) }, function (e) { wx.showToast({ title: e.text }) })
 */
var backoff = require('./backoff.js')
var errorText = require('./error-text.js')

/** what the user can do about each refusal (short enough for wx.showToast) */
var UPLOAD_TEXTS = {
  413: '文件太大：请压缩图片或缩短录音（≤ 60 秒）',
  415: '不支持的文件格式：请选择 JPG/PNG 图片或重新录音',
}

var DEFAULTS = {
  /** retries after the first attempt */
  retries: 3,
  backoff: { delay: 500, factor: 2, maxDelay: 8000, jitter: 0.5 },
  /** a 429 asking to wait longer than this is reported, not waited out */
  maxRetryAfterSeconds: 10,
  timeout: 60000,
}

function parseBody(data) {
  if (typeof data !== 'string') return data || {}
  try {
    return JSON.parse(data)
  } catch (e) {
    return {}
  }
}

/** `{ reason, code, status, message, text, retryable, retryAfter }` for a failed attempt */
function uploadError(res) {
  var body = parseBody(res.data)
  var data = body.data || {}
  var status = res.statusCode
  var error = { reason: data.reason || 'upload_failed', code: body.code || status, status: status, message: body.message || '' }
  error.text = UPLOAD_TEXTS[status] || errorText.toastText(error)
  error.retryAfter = typeof data.retry_after === 'number' ? data.retry_after : 0
  error.retryable = status >= 500 && status !== 507 && status !== 501
  if (status === 429) error.retryable = error.retryAfter > 0
  return error
}

/**
 * @param {object} wx  the wx global (passed in so tests and other runtimes can supply theirs)
 * @param {{url: string, filePath: string, sessionId: string|function(): string, onProgress?: function(number, object),
 *   onTask?: function(object), retries?: number, backoff?: object, random?: function(): number}} options
 * @returns {Promise<{upload_id: string, kind: string, bytes: number, mime: string, seconds?: number}>}
 */
function uploadFile(wx, options) {
  var o = {}
  var key
  for (key in DEFAULTS) o[key] = DEFAULTS[key]
  for (key in options) if (options[key] !== undefined) o[key] = options[key]
  var attempt = 0
  return new Promise(function (resolve, reject) {
    function again(error) {
      if (attempt >= o.retries) return reject(error)
      var wait = backoff.backoffDelay(attempt, o.backoff, o.random)
      if (error.retryAfter) {
        if (error.retryAfter > o.maxRetryAfterSeconds) return reject(error)
        wait = Math.max(wait, error.retryAfter * 1000)
      }
      attempt++
      setTimeout(send, wait)
    }
    function send() {
      var sessionId = typeof o.sessionId === 'function' ? o.sessionId() : o.sessionId
      if (!sessionId) return reject({ reason: 'not_logged_in', code: 401, status: 401, message: '', text: '正在登录，请稍后再试' })
      var task = wx.uploadFile({
        url: o.url,
        filePath: o.filePath,
        name: 'file',
        header: { Authorization: 'Bearer ' + sessionId },
        timeout: o.timeout,
        success: function (res) {
          if (res.statusCode === 200) {
            var body = parseBody(res.data)
            if (body.code === 0 && body.data && body.data.upload_id) return resolve(body.data)
          }
          var error = uploadError(res)
          if (error.retryable) return again(error)
          reject(error)
        },
        fail: function (res) {
          var msg = (res && res.errMsg) || ''
          var error = { reason: 'network_error', code: 0, status: 0, message: msg, text: '网络不给力，上传失败，请重试' }
          if (msg.indexOf('abort') >= 0) return reject({ reason: 'upload_aborted', code: 0, status: 0, message: msg, text: '已取消上传' })
          again(error)
        },
      })
      if (task && o.onProgress && task.onProgressUpdate) {
        task.onProgressUpdate(function (e) {
          o.onProgress(e.progress, e)
        })
      }
      if (task && o.onTask) o.onTask(task)
    }
    send()
  })
}

module.exports = { uploadFile: uploadFile, uploadError: uploadError, UPLOAD_TEXTS: UPLOAD_TEXTS }

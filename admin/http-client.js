/**
 * The admin API client. The token lives in sessionStorage (this tab only, gone when it
 * closes; never localStorage, never a URL) and travels only in the Authorization header.
 * A 401 anywhere signs the page out with a Chinese message (admin.js listens).
 */
;(function () {
  var KEY = 'wag_admin_token'
  var onUnauthorized = function () {}

  function token() {
    return sessionStorage.getItem(KEY) || ''
  }
  function setToken(value) {
    if (value) sessionStorage.setItem(KEY, value)
    else sessionStorage.removeItem(KEY)
  }

  /** an API refusal: `status` is the HTTP status, `reason` the catalogue's `data.reason` */
  function ApiError(status, message, reason) {
    this.name = 'ApiError'
    this.status = status
    this.message = message
    this.reason = reason
  }
  ApiError.prototype = Object.create(Error.prototype)

  function headers(extra) {
    return Object.assign({ Authorization: 'Bearer ' + token() }, extra || {})
  }

  /** path + query object (empty values left out) */
  function url(path, query) {
    var params = new URLSearchParams()
    for (var key in query || {}) {
      var value = query[key]
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
    }
    var text = params.toString()
    return path + (text ? '?' + text : '')
  }

  /** turns a non-2xx reply (status, parsed body or null) into an ApiError, signing out on 401 */
  function failure(status, body) {
    var reason = body && body.data && body.data.reason
    if (status === 401) {
      var error = new ApiError(401, '管理令牌错误或已失效，请重新登录', reason)
      onUnauthorized(error)
      return error
    }
    if (status === 404 && reason === 'not_found') return new ApiError(404, '网关没有这个接口（版本不对，或未启用知识库）', reason)
    var message = body && typeof body.message === 'string' && body.message ? body.message : '请求失败'
    return new ApiError(status, message + '（HTTP ' + status + '）', reason)
  }

  /** GET/POST/DELETE `path` (relative to the gateway root); resolves with the envelope's `data` */
  function request(method, path, query) {
    return fetch(url(path, query), { method: method, headers: headers(), cache: 'no-store', credentials: 'omit' }).then(
      function (response) {
        return response.json().then(
          function (body) {
            return { status: response.status, body: body }
          },
          function () {
            return { status: response.status, body: null }
          }
        ).then(function (reply) {
          var body = reply.body
          if (reply.status < 200 || reply.status >= 300 || !body || (body.code !== undefined && body.code !== 0)) throw failure(reply.status, body)
          return body.data
        })
      },
      function () {
        throw new ApiError(0, '连接网关失败，请检查网络', 'network')
      }
    )
  }

  /** a download (export): the body as a Blob, the token still only in the header */
  function download(path, query) {
    return fetch(url(path, query), { headers: headers(), cache: 'no-store', credentials: 'omit' }).then(function (response) {
      if (response.ok) return response.blob()
      return response.json().then(
        function (body) {
          throw failure(response.status, body)
        },
        function () {
          throw failure(response.status, null)
        }
      )
    })
  }

  /**
   * An upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
   * `onProgress(fraction)`; resolves with the envelope's `data`.
   */
  function upload(path, query, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest()
      xhr.open('POST', url(path, query))
      xhr.setRequestHeader('Authorization', 'Bearer ' + token())
      xhr.setRequestHeader('Content-Type', 'application/octet-stream')
      xhr.responseType = 'json'
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) onProgress(event.loaded / event.total)
      }
      xhr.onload = function () {
        var body = xhr.response
        if (xhr.status >= 200 && xhr.status < 300 && body && body.code === 0) return resolve(body.data)
        reject(failure(xhr.status, body))
      }
      xhr.onerror = function () {
        reject(new ApiError(0, '上传失败：连接中断', 'network'))
      }
      xhr.send(file)
    })
  }

  self.WagAdminApi = {
    token: token,
    setToken: setToken,
    get: function (path, query) {
      return request('GET', path, query)
    },
    del: function (path) {
      return request('DELETE', path)
    },
    download: download,
    upload: upload,
    ApiError: ApiError,
    onUnauthorized: function (handler) {
      onUnauthorized = handler
    },
  }
})()

/**
 * The console's photo questions: pick image files, upload each at once to `POST /wechat/upload`
 * (multipart, field `file`, the console's session as Bearer — what wx.uploadFile sends), show
 * them as thumbnails, and hand their upload_ids to the next question (`chat.images`).
 * DOM APIs only, no inline script or style (the console's CSP); thumbnails are data: URLs.
 */
;(function () {
  var params = new URLSearchParams(location.search)
  var base = (params.get('gateway') || location.origin).replace(/\/+$/, '')
  var SESSION_KEY = 'wag_console_session:' + base
  var MAX_IMAGES = 4
  var toastText = self.WagErrorText.toastText
  /** [{ name, id?, failed?, el }] in the order chosen */
  var items = []

  var $ = function (id) {
    return document.getElementById(id)
  }

  function toast(text) {
    if (self.WagRender) self.WagRender.toast(text)
  }

  function thumb(file, item) {
    var el = document.createElement('span')
    el.className = 'attachment uploading'
    el.title = file.name
    var img = document.createElement('img')
    img.alt = file.name
    var reader = new FileReader()
    reader.onload = function () {
      img.src = String(reader.result)
    }
    reader.readAsDataURL(file)
    var state = document.createElement('span')
    state.className = 'attachment-state'
    state.textContent = '上传中'
    var remove = document.createElement('button')
    remove.type = 'button'
    remove.textContent = '×'
    remove.title = '移除'
    remove.addEventListener('click', function () {
      items = items.filter(function (i) {
        return i !== item
      })
      el.remove()
    })
    el.append(img, state, remove)
    return el
  }

  function upload(file) {
    var item = { name: file.name, id: '', failed: false, el: null }
    item.el = thumb(file, item)
    items.push(item)
    $('attachments').append(item.el)
    var form = new FormData()
    form.append('file', file, file.name)
    var done = function (ok, text) {
      item.el.classList.remove('uploading')
      item.el.classList.add(ok ? 'uploaded' : 'failed')
      item.el.querySelector('.attachment-state').textContent = ok ? '已上传' : '失败'
      if (!ok) {
        item.failed = true
        toast(text)
      }
    }
    fetch(base + '/wechat/upload', { method: 'POST', headers: { Authorization: 'Bearer ' + (localStorage.getItem(SESSION_KEY) || '') }, body: form })
      .then(function (res) {
        return res.json().then(function (body) {
          if (res.ok && body.code === 0 && body.data && body.data.upload_id) {
            item.id = body.data.upload_id
            return done(true)
          }
          done(false, body.message || toastText(body)) // the server's message names the limit or the accepted formats
        })
      })
      .catch(function () {
        done(false, '网络错误，上传失败')
      })
  }

  $('image-file').addEventListener('change', function (event) {
    var files = Array.prototype.slice.call(event.target.files || [])
    event.target.value = ''
    if (!localStorage.getItem(SESSION_KEY)) return toast('请先登录')
    files.forEach(function (file) {
      if (items.length >= MAX_IMAGES) return toast('最多 ' + MAX_IMAGES + ' 张图片')
      upload(file)
    })
  })

  self.WagConsoleUpload = {
    /** `{ images: [...] }` for the next chat ({} without photos); null while an upload is running or failed */
    take: function () {
      if (items.some(function (i) { return !i.id })) return null
      var ids = items.map(function (i) {
        return i.id
      })
      items = []
      $('attachments').replaceChildren()
      return ids.length ? { images: ids } : {}
    },
  }
})()

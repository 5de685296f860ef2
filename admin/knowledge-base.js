/**
 * 知识库: upload by drag and drop (or picking files) with a progress bar, the document list
 * with delete (after a confirmation), and a search box showing the ranked passages with their
 * scores — the existing /admin/kb API (src/transport/http/admin-kb-routes.ts) behind it.
 */
;(function () {
  var D = self.WagAdminDom
  var api = self.WagAdminApi
  var h = D.h
  var $ = D.$
  var STATUS = { added: '已导入', replaced: '已替换旧版本', unchanged: '内容没有变化' }
  /** files waiting to upload, one at a time (the knowledge base serialises writes anyway) */
  var queue = []
  var uploading = false

  function kbMessage(error) {
    return error.status === 404 && error.reason === 'not_found' ? '这个网关没有启用知识库' : error.message
  }

  function loadDocuments() {
    api.get('/admin/kb/documents').then(renderDocuments, function (error) {
      $('kb-count').textContent = ''
      $('kb-docs').replaceChildren(h('tbody', null, h('tr', null, h('td', { className: 'hint' }, kbMessage(error)))))
    })
  }

  function renderDocuments(data) {
    var documents = (data && data.documents) || []
    $('kb-count').textContent = documents.length + ' 个文档 · ' + ((data && data.chunks) || 0) + ' 个段落'
    var head = h('thead', null, h('tr', null, ['名称', '标题', '段落', '大小', '导入时间', ''].map(function (text) {
      return h('th', null, text)
    })))
    var body = h(
      'tbody',
      null,
      documents.map(function (doc) {
        return h(
          'tr',
          { dataset: { doc: doc.docId } },
          h('td', { className: 'doc-name' }, doc.name),
          h('td', null, doc.title || ''),
          h('td', { className: 'n' }, String(doc.chunks)),
          h('td', { className: 'n' }, D.formatBytes(doc.bytes)),
          h('td', null, D.formatTime(doc.addedAt)),
          h('td', null, h('button', { type: 'button', className: 'danger delete', dataset: { doc: doc.docId, name: doc.name } }, '删除'))
        )
      })
    )
    if (documents.length === 0) body.appendChild(h('tr', null, h('td', { colSpan: 6, className: 'hint' }, '知识库是空的：把文件拖到上面导入')))
    $('kb-docs').replaceChildren(head, body)
  }

  function remove(button) {
    var name = button.dataset.name
    if (!confirm('确定删除文档「' + name + '」吗？它的段落会从知识库移除，之后的回答不再引用它。')) return
    button.disabled = true
    api.del('/admin/kb/documents/' + encodeURIComponent(button.dataset.doc)).then(
      function () {
        D.toast('已删除「' + name + '」')
        loadDocuments()
      },
      function (error) {
        button.disabled = false
        D.toast(kbMessage(error))
      }
    )
  }

  function enqueue(files) {
    Array.prototype.push.apply(queue, Array.prototype.slice.call(files))
    if (!uploading) next()
  }

  function next() {
    var file = queue.shift()
    if (!file) {
      uploading = false
      return loadDocuments()
    }
    uploading = true
    $('kb-upload').hidden = false
    $('kb-upload').className = 'upload'
    $('kb-upload-name').textContent = file.name
    $('kb-progress').value = 0
    $('kb-upload-status').textContent = '上传中…'
    api
      .upload('/admin/kb/documents', { name: file.name }, file, function (fraction) {
        $('kb-progress').value = fraction
        // the bytes are up; parsing and indexing happen before the reply
        if (fraction >= 1) $('kb-upload-status').textContent = '解析中…'
      })
      .then(
        function (result) {
          $('kb-progress').value = 1
          $('kb-upload').className = 'upload done'
          $('kb-upload-status').textContent = (STATUS[result.status] || '完成') + ' · ' + result.chunks + ' 个段落'
        },
        function (error) {
          $('kb-upload').className = 'upload failed'
          $('kb-upload-status').textContent = '失败：' + kbMessage(error)
        }
      )
      .then(next)
  }

  function search(event) {
    event.preventDefault()
    var q = $('kb-q').value.trim()
    if (!q) return D.toast('请输入检索内容')
    $('kb-hits').replaceChildren(D.hint('检索中…'))
    api.get('/admin/kb/search', { q: q, k: 10 }).then(
      function (data) {
        var hits = (data && data.hits) || []
        if (hits.length === 0) return $('kb-hits').replaceChildren(D.hint('没有找到相关段落'))
        $('kb-hits').replaceChildren.apply($('kb-hits'), hits.map(renderHit))
      },
      function (error) {
        $('kb-hits').replaceChildren(D.hint(kbMessage(error)))
      }
    )
  }

  function renderHit(hit) {
    // the heading path usually starts with the document's title, already shown
    var headings = Array.isArray(hit.headingPath) ? hit.headingPath.filter(function (heading, i) {
      return !(i === 0 && heading === hit.title)
    }) : []
    var path = headings.length ? ' › ' + headings.join(' › ') : ''
    var scores = []
    if (typeof hit.score === 'number') scores.push('得分 ' + hit.score.toFixed(3))
    if (typeof hit.relevance === 'number') scores.push('相关度 ' + hit.relevance.toFixed(2))
    return h(
      'li',
      { className: 'hit' },
      h('div', { className: 'hit-head' }, (hit.title || '（无标题）') + path),
      h('div', { className: 'row-meta' }, h('span', null, hit.source || ''), h('span', { className: 'score' }, scores.join(' · '))),
      h('div', { className: 'hit-text', title: '点击展开或收起' }, String(hit.text || ''))
    )
  }

  function init() {
    var drop = $('kb-drop')
    ;['dragenter', 'dragover'].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        event.preventDefault()
        drop.classList.add('over')
      })
    })
    ;['dragleave', 'drop'].forEach(function (type) {
      drop.addEventListener(type, function () {
        drop.classList.remove('over')
      })
    })
    drop.addEventListener('drop', function (event) {
      event.preventDefault()
      if (event.dataTransfer && event.dataTransfer.files.length) enqueue(event.dataTransfer.files)
    })
    $('kb-file').addEventListener('change', function () {
      enqueue($('kb-file').files)
      $('kb-file').value = ''
    })
    // a file dropped beside the zone must not make the browser navigate away to it
    window.addEventListener('dragover', function (event) {
      event.preventDefault()
    })
    window.addEventListener('drop', function (event) {
      event.preventDefault()
    })
    $('kb-docs').addEventListener('click', function (event) {
      var button = event.target.closest('.delete')
      if (button) remove(button)
    })
    $('kb-search-form').addEventListener('submit', search)
    $('kb-hits').addEventListener('click', function (event) {
      var hit = event.target.closest('.hit')
      if (hit) hit.classList.toggle('open')
    })
  }

  self.WagAdminTabs = self.WagAdminTabs || {}
  self.WagAdminTabs.kb = { init: init, show: loadDocuments }
})()

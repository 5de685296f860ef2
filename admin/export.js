/**
 * 导出: every message in a date range as JSON Lines or CSV. The file is fetched with the
 * Authorization header and handed to the browser as a blob: link — a plain link would need
 * the token in its URL, where history, logs and Referer headers would keep it.
 */
;(function () {
  var D = self.WagAdminDom
  var api = self.WagAdminApi
  var $ = D.$

  function fileName(format, range) {
    var span = range.from || range.to ? '-' + (range.from || '') + '_' + (range.to || '') : ''
    return 'messages' + span + '.' + format
  }

  function submit(event) {
    event.preventDefault()
    var format = document.querySelector('input[name=export-format]:checked').value
    var range = D.dateRange('export-from', 'export-to')
    $('export-submit').disabled = true
    $('export-status').textContent = '正在生成导出文件…'
    api
      .download('/admin/api/export', { format: format, from: range.from, to: range.to })
      .then(
        function (blob) {
          var href = URL.createObjectURL(blob)
          var link = D.h('a', { href: href, download: fileName(format, range), hidden: true })
          document.body.appendChild(link)
          link.click()
          link.remove()
          // revoked later: the download may still be reading the blob
          setTimeout(function () {
            URL.revokeObjectURL(href)
          }, 60000)
          $('export-status').textContent = '已下载 ' + fileName(format, range) + '（' + D.formatBytes(blob.size) + '）'
        },
        function (error) {
          $('export-status').textContent = '导出失败：' + error.message
        }
      )
      .then(function () {
        $('export-submit').disabled = false
      })
  }

  self.WagAdminTabs = self.WagAdminTabs || {}
  self.WagAdminTabs.export = {
    init: function () {
      $('export-form').addEventListener('submit', submit)
    },
    show: function () {},
  }
})()

/**
 * The admin page's shell: sign in with ADMIN_TOKEN, switch tabs (the tab is kept in the
 * URL's #hash so a reload stays put; the token never goes there), sign out. Each tab is a
 * module in self.WagAdminTabs with `show()`, called every time the tab opens.
 */
;(function () {
  var D = self.WagAdminDom
  var api = self.WagAdminApi
  var $ = D.$
  var tabs = self.WagAdminTabs
  var TAB_NAMES = ['conversations', 'usage', 'feedback', 'kb', 'export']
  var current = null

  function showSignin(message) {
    api.setToken('')
    current = null
    $('app').hidden = true
    $('tabs').hidden = true
    $('signout').hidden = true
    $('signin').hidden = false
    $('signin-error').hidden = !message
    $('signin-error').textContent = message || ''
    $('token').value = ''
    $('token').focus()
  }

  function showApp() {
    $('signin').hidden = true
    $('app').hidden = false
    $('tabs').hidden = false
    $('signout').hidden = false
    openTab(tabFromHash())
  }

  function tabFromHash() {
    var name = location.hash.replace(/^#/, '')
    return TAB_NAMES.indexOf(name) >= 0 ? name : 'conversations'
  }

  function openTab(name) {
    current = name
    TAB_NAMES.forEach(function (tab) {
      $('tab-' + tab).hidden = tab !== name
    })
    Array.prototype.forEach.call(document.querySelectorAll('#tabs [role=tab]'), function (button) {
      var selected = button.dataset.tab === name
      button.setAttribute('aria-selected', String(selected))
      button.classList.toggle('active', selected)
    })
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name)
    tabs[name].show()
  }

  // any 401 (a wrong token, or ADMIN_TOKEN changed on the server) lands back on the form
  api.onUnauthorized(function (error) {
    showSignin(error.message)
  })

  $('signin-form').addEventListener('submit', function (event) {
    event.preventDefault()
    var value = $('token').value.trim()
    if (!value) return
    // a header carries only ASCII (fetch throws on anything else), and so can ADMIN_TOKEN usefully
    if (!/^[\x21-\x7e]+$/.test(value)) return showSignin('管理令牌只能包含英文字母、数字和符号，请检查是否输错')
    api.setToken(value)
    $('signin-submit').disabled = true
    $('signin-error').hidden = true
    // one cheap call checks the token before the page opens
    api
      .get('/admin/api/conversations', { limit: 1 })
      .then(showApp, function (error) {
        if (error.status !== 401) showApp() // the token is right; the tab shows what else went wrong
      })
      .then(function () {
        $('signin-submit').disabled = false
      })
  })

  $('signout').addEventListener('click', function () {
    showSignin('')
    history.replaceState(null, '', location.pathname)
  })

  $('tabs').addEventListener('click', function (event) {
    var button = event.target.closest('[role=tab]')
    if (button) openTab(button.dataset.tab)
  })

  window.addEventListener('hashchange', function () {
    if (api.token() && tabFromHash() !== current) openTab(tabFromHash())
  })

  TAB_NAMES.forEach(function (name) {
    tabs[name].init()
  })
  if (api.token()) showApp()
  else showSignin('')
})()

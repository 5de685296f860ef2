/**
 * The gateway's browser console: try the protocol (docs/protocol.md) before writing any
 * mini-program code. Plain WebSocket, every frame shown raw; answers rendered with the same
 * converter as the mini-program. `?gateway=http://host:port` points it at another gateway.
 */
;(function () {
  var R = self.WagRender
  var h = R.h
  var toastText = self.WagErrorText.toastText
  var params = new URLSearchParams(location.search)
  var base = (params.get('gateway') || location.origin).replace(/\/+$/, '')
  var wsUrl = base.replace(/^http/, 'ws') + '/wechat/ws'
  var SESSION_KEY = 'wag_console_session:' + base
  /** protocol §2.3: ping every 20–25 s, or the server closes an idle socket after 120 s */
  var PING_MS = 20000
  var MAX_FRAMES = 500
  /** the note under an answer that ended other than complete (a failure live shows its toast instead) */
  var NOTES = { cancelled: '已停止生成', failed: '回答未完成', retracted: '内容已撤回' }

  var $ = function (id) {
    return document.getElementById(id)
  }
  var socket = null
  var pingTimer = null
  var reconnectTimer = null
  var attempts = 0
  var seq = 0
  var loggedIn = false
  var manualClose = false
  /** what to log in with on the next open: {code} or {session_id} */
  var credentials = null
  var loadHistoryAfterLogin = false
  /** request_id of a history the user asked for (the one loaded at login stays quiet when empty) */
  var historyRid = null
  /** the answer in flight: {rid, id, next, text, el, done} */
  var current = null
  var renderQueued = false
  /** the conversation list, ratings and chips (conversations.js), created once the DOM helpers exist */
  var conv = null

  // ---------------------------------------------------------------- connection

  function setStatus(kind, text) {
    $('status').className = 'status ' + kind
    $('status').textContent = text
  }

  function connect(login) {
    credentials = login
    clearTimeout(reconnectTimer)
    if (socket && socket.readyState === WebSocket.OPEN) return sendLogin()
    if (socket && socket.readyState === WebSocket.CONNECTING) return
    manualClose = false
    setStatus('connecting', '连接中…')
    var ws = new WebSocket(wsUrl)
    socket = ws
    ws.onopen = function () {
      attempts = 0
      sendLogin()
      pingTimer = setInterval(function () {
        send({ type: 'ping' })
      }, PING_MS)
    }
    ws.onmessage = function (event) {
      var frame
      try {
        frame = JSON.parse(event.data)
      } catch (error) {
        return logFrame('in', { type: '(not JSON)', raw: String(event.data) })
      }
      logFrame('in', frame)
      handle(frame)
    }
    ws.onclose = function (event) {
      clearInterval(pingTimer)
      if (socket !== ws) return
      socket = null
      loggedIn = false
      updateButtons()
      setStatus('closed', '已断开（' + event.code + '）')
      var sessionId = localStorage.getItem(SESSION_KEY)
      if (manualClose || !sessionId) return
      // as the mini-program kit does: back with the session_id, then `resume` what was in flight
      var delay = Math.min(10000, 500 * Math.pow(2, attempts++))
      reconnectTimer = setTimeout(function () {
        connect({ session_id: sessionId })
      }, delay)
    }
  }

  function sendLogin() {
    if (credentials) send(Object.assign({ type: 'login' }, credentials))
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      R.toast('未连接，请先登录')
      return false
    }
    if (message.request_id === undefined && message.type !== 'ping') message.request_id = 'c' + ++seq
    socket.send(JSON.stringify(message))
    logFrame('out', message)
    return true
  }

  // ---------------------------------------------------------------- frames in

  function handle(frame) {
    var data = frame.data || {}
    if (conv.handle(frame)) return
    switch (frame.type) {
      case 'login_response':
        return onLogin(frame)
      case 'chat_processing':
        if (current && !current.done && frame.request_id === current.rid) current.id = data.id
        return
      case 'chat_progress':
        if (isCurrent(frame)) setWaiting(data.stage === 'searching' ? '正在检索：' + (data.query || '知识库') : '正在处理…')
        return
      case 'chat_delta':
        // apply strictly by index: after a resume, nothing twice and nothing skipped
        if (!isCurrent(frame) || current.retracted || data.index !== current.next) return
        current.text += data.delta
        current.next++
        return scheduleRender()
      case 'chat_retract':
        // content security withdrew the answer: what was shown gives way to the notice
        if (!isCurrent(frame)) return
        current.retracted = true
        current.text = typeof data.message === 'string' ? data.message : ''
        current.el.querySelector('.note').textContent = '内容已撤回'
        return scheduleRender()
      case 'chat_response':
        if (isCurrent(frame) || (current && !current.done && frame.request_id === current.rid)) finish(frame)
        return
      case 'cancel_response':
        if (!data.cancelled) R.toast('没有进行中的回答')
        return
      case 'history_response':
        conv.note(data.conversation_id)
        return showHistory(data.messages || [], frame.request_id === historyRid)
      case 'clear_response':
        $('messages').replaceChildren()
        current = null
        conv.cleared()
        return updateButtons()
      case 'error':
        if (current && !current.done && frame.request_id === current.rid) return finish(frame)
        return R.toast(toastText(frame))
    }
  }

  function isCurrent(frame) {
    return Boolean(current && !current.done && frame.data && current.id && frame.data.id === current.id)
  }

  function onLogin(frame) {
    var data = frame.data || {}
    if (frame.code !== 0) {
      if (data.reason === 'session_expired') localStorage.removeItem(SESSION_KEY)
      setStatus('closed', '登录失败')
      return R.toast(toastText(frame))
    }
    loggedIn = true
    localStorage.setItem(SESSION_KEY, data.session_id)
    setStatus('ready', '已登录')
    $('who').textContent = 'openid ' + data.openid
    updateButtons()
    conv.refresh()
    var pending = data.pending_answer
    if (current && !current.done && current.id) {
      // back after a drop: replay what we missed (or get the stored answer if it ended)
      send({ type: 'resume', id: current.id, from_index: current.next })
    } else if (pending) {
      current = newAnswer('（续传中的回答）')
      current.id = pending.id
      send({ type: 'resume', id: pending.id, from_index: 0 })
    }
    if (loadHistoryAfterLogin) {
      loadHistoryAfterLogin = false
      if (!current || current.done) send({ type: 'history', limit: 40 })
    }
  }

  // ---------------------------------------------------------------- messages

  function appendMessage(el) {
    var list = $('messages')
    list.appendChild(el)
    list.scrollTop = list.scrollHeight
    return el
  }

  function aiBubble() {
    return h('div', { className: 'msg ai' }, h('span', { className: 'ai-label' }, 'AI 生成'), h('div', { className: 'waiting' }), h('div', { className: 'answer' }), h('div', { className: 'note' }))
  }

  function newAnswer(query) {
    appendMessage(h('div', { className: 'msg user' }, query))
    var el = appendMessage(aiBubble())
    el.classList.add('streaming')
    var answer = { rid: 'c' + ++seq, id: null, next: 0, text: '', el: el, done: false }
    current = answer
    setWaiting('正在思考…')
    updateButtons()
    return answer
  }

  function setWaiting(text) {
    if (current) current.el.querySelector('.waiting').textContent = text
  }

  /** at most one render per animation frame, however fast deltas come */
  function scheduleRender() {
    if (renderQueued) return
    renderQueued = true
    requestAnimationFrame(function () {
      renderQueued = false
      if (!current) return
      setWaiting('')
      R.renderMarkdown(current.el.querySelector('.answer'), current.text)
      var list = $('messages')
      list.scrollTop = list.scrollHeight
    })
  }

  function finish(frame) {
    var data = frame.data || {}
    var answer = current
    answer.done = true
    if (typeof data.msg === 'string') answer.text = data.msg
    var status = frame.code !== 0 ? 'failed' : data.status === 'cancelled' || data.status === 'retracted' ? data.status : 'complete'
    var el = answer.el
    el.classList.remove('streaming')
    el.classList.add('done', status)
    el.querySelector('.waiting').textContent = ''
    R.renderMarkdown(el.querySelector('.answer'), answer.text)
    el.querySelector('.note').textContent = status === 'failed' ? toastText(frame) : NOTES[status] || ''
    var sources = R.renderSources(data.sources)
    if (sources) el.appendChild(sources)
    if (status === 'failed') R.toast(toastText(frame))
    else {
      conv.decorate(el, data.id, null)
      conv.note(data.conversation_id)
      conv.refresh() // its title, count and time changed
    }
    updateButtons()
  }

  function showHistory(messages, asked) {
    if (current && !current.done) return
    var list = $('messages')
    list.replaceChildren()
    messages.forEach(function (m) {
      if (m.role === 'user') return appendMessage(h('div', { className: 'msg user' }, m.content))
      var el = aiBubble()
      el.classList.add('done', m.status)
      R.renderMarkdown(el.querySelector('.answer'), m.content)
      el.querySelector('.note').textContent = NOTES[m.status] || ''
      // answers that cited the knowledge base keep their sources after a reload, as when live
      var sources = R.renderSources(m.sources)
      if (sources) el.appendChild(sources)
      conv.decorate(el, m.id, m.rating)
      appendMessage(el)
    })
    if (!messages.length && asked) R.toast('当前对话没有历史消息')
  }

  function updateButtons() {
    $('cancel').disabled = !(current && !current.done)
  }

  // ---------------------------------------------------------------- raw frames

  function logFrame(direction, frame) {
    var list = $('frames')
    var stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 20
    var type = String(frame.type || '')
    var now = new Date()
    var time = now.toTimeString().slice(0, 8) + '.' + String(now.getMilliseconds()).padStart(3, '0')
    // only a server frame's numeric code means failure: an outgoing `login` carries the wx.login code
    var failed = direction === 'in' && typeof frame.code === 'number' && frame.code !== 0
    var item = h('li', { className: direction + ' t-' + type.replace(/[^\w]/g, '') + (failed ? ' err' : '') }, h('time', null, time), h('span', { className: 'dir' }, direction === 'in' ? '←' : '→'), h('b', null, type), ' ' + JSON.stringify(frame))
    list.appendChild(item)
    while (list.childElementCount > MAX_FRAMES) list.removeChild(list.firstElementChild)
    if (stick) list.scrollTop = list.scrollHeight
  }

  // ---------------------------------------------------------------- controls

  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault()
    var code = $('code').value.trim()
    if (!code) return R.toast('请输入 code')
    loadHistoryAfterLogin = true
    connect({ code: code })
  })

  $('logout').addEventListener('click', function () {
    manualClose = true
    localStorage.removeItem(SESSION_KEY)
    if (socket) socket.close(1000, 'logout')
    $('messages').replaceChildren()
    $('who').textContent = ''
    $('conversations').replaceChildren()
    conv.cleared()
    current = null
    setStatus('idle', '未连接')
    updateButtons()
  })

  $('chat-form').addEventListener('submit', function (event) {
    event.preventDefault()
    var query = $('query').value.trim()
    if (!query) return R.toast('请输入问题内容')
    if (!loggedIn) return R.toast('请先登录')
    if (current && !current.done) return R.toast('上一个回答还没结束')
    var media = self.WagConsoleUpload.take() // {images} when photos are attached (console-upload.js)
    if (!media) return R.toast('图片还在上传或上传失败，请稍候或移除')
    conv.clearChips()
    var answer = newAnswer(query)
    var message = Object.assign({ type: 'chat', query: query, stream: true, use_auto_rag: $('auto-rag').checked, request_id: answer.rid }, media)
    // the conversation on screen (opened from the list) is the one the question continues
    if (conv.state.currentId) message.conversation_id = conv.state.currentId
    send(message)
    $('query').value = ''
  })

  $('query').addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      $('chat-form').requestSubmit()
    }
  })

  $('cancel').addEventListener('click', function () {
    if (current && !current.done) send(current.id ? { type: 'cancel', id: current.id } : { type: 'cancel' })
  })

  $('history').addEventListener('click', function () {
    if (current && !current.done) return R.toast('回答结束后再查看历史')
    historyRid = 'c' + ++seq
    var message = { type: 'history', limit: 40, request_id: historyRid }
    if (conv.state.currentId) message.conversation_id = conv.state.currentId
    send(message)
  })

  $('clear').addEventListener('click', function () {
    send({ type: 'clear' })
  })

  $('hide-deltas').addEventListener('change', function (event) {
    $('frames').classList.toggle('hide-deltas', event.target.checked)
  })

  $('clear-frames').addEventListener('click', function () {
    $('frames').replaceChildren()
  })

  $('raw-form').addEventListener('submit', function (event) {
    event.preventDefault()
    var message
    try {
      message = JSON.parse($('raw').value)
    } catch (error) {
      return R.toast('不是合法的 JSON')
    }
    if (!socket || socket.readyState !== WebSocket.OPEN) return R.toast('未连接，请先登录')
    socket.send(JSON.stringify(message)) // exactly what was typed: no request_id added
    logFrame('out', message)
  })

  self.WagKbSearch.init(base)
  conv = self.WagConversations.create({
    send: send,
    busy: function () {
      return Boolean(current && !current.done)
    },
    showHistory: showHistory,
    ask: function (text) {
      $('query').value = text
      $('chat-form').requestSubmit()
    },
  })

  // a session from an earlier visit: log straight back in with it
  var saved = localStorage.getItem(SESSION_KEY)
  if (saved) {
    loadHistoryAfterLogin = true
    connect({ session_id: saved })
  }
})()

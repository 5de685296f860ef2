/**
 * The chat page's conversation drawer, 👍/👎 and suggestion chips: page methods mixed into
 * Page({...}) by chat.js (a page file stays one screen of code). `this` is the page.
 * Everything goes through the app's client (getApp().chat); this file only maps to setData.
 */

/** "14:05" today, "11月3日" before */
function timeText(ms) {
  var d = new Date(ms)
  var now = new Date()
  if (d.toDateString() === now.toDateString()) return pad(d.getHours()) + ':' + pad(d.getMinutes())
  return d.getMonth() + 1 + '月' + d.getDate() + '日'
}

function pad(n) {
  return n < 10 ? '0' + n : String(n)
}

function toast(error, fallback) {
  wx.showToast({ title: (error && error.text) || fallback, icon: 'none' })
}

module.exports = {
  onOpenDrawer: function () {
    this.setData({ drawerOpen: true })
    return this.loadConversations()
  },

  onCloseDrawer: function () {
    this.setData({ drawerOpen: false })
  },

  loadConversations: function () {
    var self = this
    return this.chat.listConversations({ limit: 50 }).then(
      function (page) {
        var current = self.chat.conversationId
        self.setData({
          conversations: page.conversations.map(function (c) {
            return { id: c.conversation_id, title: c.title || '（无标题）', meta: timeText(c.updated_at) + ' · ' + c.message_count + ' 条', active: c.conversation_id === current }
          }),
        })
      },
      function (error) {
        toast(error, '对话列表加载失败')
      }
    )
  },

  onOpenConversation: function (e) {
    var self = this
    var id = e.currentTarget.dataset.id
    if (this.data.busy) return wx.showToast({ title: '请先停止当前回答', icon: 'none' })
    return this.chat.openConversation(id, this.historyLimit).then(
      function (result) {
        self.showMessages(result.messages, [])
        self.setData({ drawerOpen: false, suggestions: [] })
      },
      function (error) {
        toast(error, '打开对话失败')
        if (error && error.reason === 'conversation_not_found') self.loadConversations()
      }
    )
  },

  /** Long list items are small targets: deleting asks first (it cannot be undone). */
  onDeleteConversation: function (e) {
    var self = this
    var id = e.currentTarget.dataset.id
    var title = e.currentTarget.dataset.title || ''
    wx.showModal({
      title: '删除对话',
      content: '删除后无法恢复：' + title,
      confirmText: '删除',
      confirmColor: '#f54a45',
      success: function (res) {
        if (!res.confirm) return
        var shown = self.chat.conversationId === id
        self.chat.deleteConversation(id).then(
          function () {
            if (shown) {
              self.texts = {}
              self.setData({ messages: [], suggestions: [] })
            }
            self.loadConversations()
          },
          function (error) {
            toast(error, '删除失败')
          }
        )
      },
    })
  },

  /** 👍/👎 under an answer; tapping the other one changes the rating. */
  onRate: function (e) {
    var self = this
    var key = e.currentTarget.dataset.key
    var rating = e.currentTarget.dataset.rating
    var i = this.indexOf(key)
    var item = this.data.messages[i]
    if (!item || !item.answerId) return
    return this.chat.rate(item.answerId, rating).then(
      function (result) {
        var at = self.indexOf(key)
        if (at < 0) return
        var patch = {}
        patch['messages[' + at + '].rating'] = result.rating
        self.setData(patch)
      },
      function (error) {
        toast(error, '评价失败')
      }
    )
  },

  /** chat_suggestions for the latest answer only: older chips would ask about something else. */
  onSuggestions: function (s) {
    if (s.id && s.id === this.latestAnswerId && !this.data.busy) this.setData({ suggestions: s.suggestions })
  },

  onSuggestion: function (e) {
    this.setData({ inputValue: e.currentTarget.dataset.text })
    this.onSend()
  },
}

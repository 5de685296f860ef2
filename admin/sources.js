/**
 * The passages an answer cited (`sources`: title, source, snippet, score), shared by the
 * conversation view and the feedback list, so an operator sees which document to fix.
 */
;(function () {
  var D = self.WagAdminDom
  var h = D.h

  function renderSources(sources) {
    if (!Array.isArray(sources) || sources.length === 0) return null
    return h(
      'div',
      { className: 'sources' },
      h('div', { className: 'sources-head' }, '引用的知识库段落'),
      h(
        'ol',
        null,
        sources.map(function (source) {
          var score = typeof source.score === 'number' ? '相关度 ' + source.score.toFixed(2) : ''
          return h(
            'li',
            null,
            h('span', { className: 'source-title' }, source.title || source.source || '（无标题）'),
            h('span', { className: 'source-meta' }, [source.source && source.source !== source.title ? source.source : '', score].filter(Boolean).join(' · ')),
            source.snippet ? h('span', { className: 'source-snippet' }, source.snippet) : null
          )
        })
      )
    )
  }

  /** 👍/👎 and the comment, from `rating: 'up'|'down'` or `feedback: {rating, comment}` */
  function renderRating(message) {
    var feedback = message.feedback && typeof message.feedback === 'object' ? message.feedback : message
    var rating = typeof feedback.rating === 'object' && feedback.rating ? feedback.rating.rating : feedback.rating
    var comment = D.pick(feedback, ['comment']) || (typeof feedback.rating === 'object' && feedback.rating ? feedback.rating.comment : undefined)
    if (rating !== 'up' && rating !== 'down') return null
    return h(
      'div',
      { className: 'rating ' + rating },
      rating === 'up' ? '👍 用户点赞' : '👎 用户点踩',
      comment ? h('q', { className: 'comment' }, comment) : null
    )
  }

  self.WagAdminSources = { renderSources: renderSources, renderRating: renderRating }
})()

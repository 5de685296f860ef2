/**
 * A small bar chart drawn as SVG by hand (a charting library would be ten times this page):
 * one bar per day, one or two stacked series, the largest value on the y axis, dates under
 * the bars thinned to fit. Each bar has a <title> (hover / long-press shows the numbers).
 * It scales with its container through the viewBox, so a phone gets the same chart, narrower.
 */
;(function () {
  var D = self.WagAdminDom
  var svg = D.svg
  var H = 200
  var PAD = { left: 44, right: 8, top: 12, bottom: 28 }

  /** a "nice" axis maximum: 1, 2 or 5 × 10^n, at least the data's maximum */
  function niceMax(value) {
    if (value <= 0) return 1
    var power = Math.pow(10, Math.floor(Math.log10(value)))
    var steps = [1, 2, 5, 10]
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power
    return 10 * power
  }

  function short(value) {
    if (value >= 1e6) return (value / 1e6).toFixed(value >= 1e7 ? 0 : 1) + 'M'
    if (value >= 1e4) return (value / 1e3).toFixed(0) + 'k'
    return String(value)
  }

  /**
   * @param title   the chart's heading, e.g. "每日对话数"
   * @param labels  x labels (dates), one per bar
   * @param series  [{name, className, values: number[]}] stacked bottom-up
   * @param width   the width it will be shown at, px: one SVG unit is one pixel, so the text
   *                keeps its size on a phone and the date labels are thinned to what fits
   */
  function barChart(title, labels, series, width) {
    var W = Math.max(280, Math.round(width) || 640)
    var totals = labels.map(function (_, i) {
      return series.reduce(function (sum, s) {
        return sum + (s.values[i] || 0)
      }, 0)
    })
    var max = niceMax(Math.max.apply(null, [0].concat(totals)))
    var plotW = W - PAD.left - PAD.right
    var plotH = H - PAD.top - PAD.bottom
    var slot = plotW / Math.max(1, labels.length)
    var barW = Math.max(1, Math.min(32, slot * 0.7))
    var y = function (value) {
      return PAD.top + plotH - (value / max) * plotH
    }
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': title })
    // grid lines at 0, ½ and the maximum (½ only when it is a whole number: chats are counted)
    ;(max % 2 === 0 ? [0, max / 2, max] : [0, max]).forEach(function (value) {
      chart.appendChild(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value), class: 'grid-line' }))
      chart.appendChild(svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' }, short(value)))
    })
    var every = Math.ceil(labels.length / Math.max(1, Math.floor(plotW / 64)))
    labels.forEach(function (label, i) {
      var x = PAD.left + slot * i + (slot - barW) / 2
      var base = 0
      var tip = label + '\n' + series.map(function (s) {
        return s.name + '：' + (s.values[i] || 0)
      }).join('\n')
      var group = svg('g', { class: 'bar' }, svg('title', null, tip))
      series.forEach(function (s) {
        var value = s.values[i] || 0
        if (value > 0) group.appendChild(svg('rect', { x: x, y: y(base + value), width: barW, height: y(base) - y(base + value), class: s.className }))
        base += value
      })
      chart.appendChild(group)
      if (i % every === 0) chart.appendChild(svg('text', { x: x + barW / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis' }, String(label).slice(5)))
    })
    var legend = D.h(
      'div',
      { className: 'legend' },
      series.map(function (s) {
        return D.h('span', null, D.h('i', { className: 'swatch ' + s.className }), s.name)
      })
    )
    return D.h('figure', { className: 'chart-box' }, D.h('figcaption', null, title), chart, legend)
  }

  self.WagBarChart = { barChart: barChart, niceMax: niceMax }
})()

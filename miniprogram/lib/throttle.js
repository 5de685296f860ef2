/**
 * Calls `fn` at most once per `wait` ms: at once if it has been quiet, otherwise once at the
 * end of the window (so the last update is never lost). Used to keep setData at ≤ 20 a second
 * while deltas arrive: every setData crosses from the logic thread to the render thread, and
 * a flood of them makes the page stutter on low-end phones.
 *
 * @example
 * var render = createThrottle(function () { page.setData(patch) }, 50)
 * render(); render(); render() // one setData now, one 50 ms later
 * render.flush()               // the answer is done: render now
 */
function createThrottle(fn, wait) {
  var last = -Infinity
  var timer = null

  function run() {
    // timers may fire a little early by the wall clock (Node counts from its cached loop time):
    // wait out the rest, so two calls are never closer than `wait`
    var early = last + wait - Date.now()
    if (early > 0) {
      timer = setTimeout(run, early)
      return
    }
    timer = null
    call()
  }

  // the window counts from the end of a call: a slow call (toNodes of a long answer on a busy
  // phone) must not let the next setData come sooner than `wait` after its own
  function call() {
    last = Date.now() // a call made from inside fn waits too
    try {
      fn()
    } finally {
      last = Date.now()
    }
  }

  function throttled() {
    if (timer) return
    var due = last + wait - Date.now()
    if (due <= 0) run()
    else timer = setTimeout(run, due)
  }

  /** Runs now if a call is pending (or `always`). */
  throttled.flush = function (always) {
    if (!timer && !always) return
    clearTimeout(timer)
    timer = null
    call()
  }

  throttled.cancel = function () {
    if (timer) clearTimeout(timer)
    timer = null
  }

  return throttled
}

module.exports = { createThrottle: createThrottle }

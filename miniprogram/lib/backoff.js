/**
 * Reconnect delays: exponential with a cap, and jitter so that phones dropped together (a
 * server restart, a cell tower hand-over) do not all come back in the same millisecond.
 *
 *   ceiling(attempt) = min(maxDelay, delay * factor ^ attempt)
 *   delay(attempt)   = ceiling * (1 - jitter * random())      → in (ceiling * (1 - jitter), ceiling]
 *
 * attempt 0 is the first retry after a drop. Options as in ./client-options.js `reconnect`.
 *
 * @example
 * backoffDelay(3, { delay: 1000, factor: 2, maxDelay: 30000, jitter: 0.5 }) // 4000…8000
 */
function backoffCeiling(attempt, options) {
  var raw = options.delay * Math.pow(options.factor, Math.max(0, attempt))
  return Math.min(options.maxDelay, raw)
}

function backoffDelay(attempt, options, random) {
  var rand = typeof random === 'function' ? random() : Math.random()
  var jitter = Math.min(1, Math.max(0, options.jitter || 0))
  return Math.round(backoffCeiling(attempt, options) * (1 - jitter * rand))
}

/** The bounds a delay for `attempt` falls in: what the tests (and you) can assert. */
function backoffRange(attempt, options) {
  var ceiling = backoffCeiling(attempt, options)
  var jitter = Math.min(1, Math.max(0, options.jitter || 0))
  return { min: Math.floor(ceiling * (1 - jitter)), max: Math.ceil(ceiling) }
}

module.exports = { backoffDelay: backoffDelay, backoffRange: backoffRange, backoffCeiling: backoffCeiling }

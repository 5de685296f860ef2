/**
 * A tiny event emitter. `on` returns the function that unsubscribes, so a page can keep the
 * list and call them all in onUnload (a page that forgets would leak into the next one).
 */
function Emitter() {
  this._listeners = {}
}

Emitter.prototype.on = function (type, fn) {
  var list = this._listeners[type] || (this._listeners[type] = [])
  list.push(fn)
  var self = this
  return function off() {
    self.off(type, fn)
  }
}

Emitter.prototype.off = function (type, fn) {
  var list = this._listeners[type]
  if (!list) return
  var at = list.indexOf(fn)
  if (at >= 0) list.splice(at, 1)
}

Emitter.prototype.emit = function (type, payload) {
  var list = (this._listeners[type] || []).slice()
  for (var i = 0; i < list.length; i++) {
    try {
      list[i](payload)
    } catch (error) {
      // one page's broken handler must not stop the socket logic
      console.error('[wag] listener for "' + type + '" failed', error)
    }
  }
}

module.exports = { Emitter: Emitter }

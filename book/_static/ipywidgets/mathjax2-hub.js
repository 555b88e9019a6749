// ipywidgets' HTML manager (embed.js) typesets widget text with MathJax 2's API, MathJax.Hub.Queue; the book
// loads MathJax 3, which has no Hub (a page error when a saved Output widget renders). Give every MathJax
// object, the configuration and the one MathJax 3 puts in its place, a Hub that forwards to MathJax 3.
(function () {
  function withHub(m) {
    if (m && typeof m === "object" && !m.Hub) {
      Object.defineProperty(m, "Hub", {enumerable: false, configurable: true, value: {
        Queue: function (cmd) {
          var node = Array.isArray(cmd) ? cmd[2] : null;
          if (node && window.MathJax && typeof window.MathJax.typesetPromise === "function") {
            window.MathJax.typesetPromise([node]).catch(function () {});
          }
        }
      }});
    }
    return m;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (v) { current = withHub(v); }});
})();

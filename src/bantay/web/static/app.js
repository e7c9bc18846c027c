// Bantay: small enhancements only; every page works without JavaScript.
// Network graph: hovering a node highlights its payments and dims the rest.
(function () {
  document.querySelectorAll("svg.network").forEach(function (svg) {
    var edges = svg.querySelectorAll(".edge, .elabel");
    var nodes = svg.querySelectorAll(".node");
    nodes.forEach(function (n) {
      n.addEventListener("mouseenter", function () {
        var id = n.getAttribute("data-id");
        var near = {}; near[id] = true;
        edges.forEach(function (e) {
          var on = e.getAttribute("data-a") === id || e.getAttribute("data-b") === id;
          e.classList.toggle("hi", on); e.classList.toggle("dim", !on);
          if (on) { near[e.getAttribute("data-a")] = true; near[e.getAttribute("data-b")] = true; }
        });
        nodes.forEach(function (m) { m.classList.toggle("dim", !near[m.getAttribute("data-id")]); });
      });
      n.addEventListener("mouseleave", function () {
        edges.forEach(function (e) { e.classList.remove("hi", "dim"); });
        nodes.forEach(function (m) { m.classList.remove("dim"); });
      });
    });
  });
})();
// "Back" links (error pages): the previous page when there is one (no inline script: CSP).
(function () {
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (window.history.length > 1) { ev.preventDefault(); window.history.back(); }
    });
  });
})();

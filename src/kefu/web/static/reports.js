// kefu reports: draw every <canvas data-chart="…"> with the vendored Chart.js (the config is JSON in the
// attribute: no inline script under the CSP), again after htmx swaps in a fresh wallboard panel.
(function () {
  function pct(v) { return (v * 100).toFixed(1) + "%"; }

  function draw(root) {
    if (!window.Chart) { return; }
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var old = window.Chart.getChart(canvas);
      if (old) { old.destroy(); }
      var cfg = JSON.parse(canvas.dataset.chart);
      cfg.options = cfg.options || {};
      cfg.options.animation = false;
      cfg.options.maintainAspectRatio = false;
      if (cfg.percent) {
        cfg.options.scales = {y: {min: 0, max: 1, ticks: {callback: pct}}};
        delete cfg.percent;
      }
      new window.Chart(canvas, cfg);
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();

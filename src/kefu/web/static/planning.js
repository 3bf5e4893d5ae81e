// kefu planning page (/wfm): draws the charts from the JSON block #wfm-data (no inline script: strict CSP)
(function () {
  "use strict";
  var COLORS = {forecast: "#2f6fb3", actual: "#c62828", raw: "#2e7d32", positions: "#b26a00",
                requirement: "#b26a00", scheduled: "#2f6fb3"};

  function series(data, names, keys, stepped) {
    return keys.map(function (k) {
      return {label: names[k], data: data[k], borderColor: COLORS[k], backgroundColor: COLORS[k],
              borderWidth: 1.5, pointRadius: 0, spanGaps: false, stepped: stepped};
    });
  }

  function draw(canvas, labels, datasets) {
    /* global Chart */
    var chart = new Chart(canvas, {
      type: "line",
      data: {labels: labels, datasets: datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                interaction: {mode: "index", intersect: false},
                scales: {x: {ticks: {maxTicksLimit: 14}}, y: {beginAtZero: true}}}
    });
    canvas.dataset.drawn = String(chart.data.datasets.length);
  }

  function init() {
    var block = document.getElementById("wfm-data");
    if (!block || typeof Chart === "undefined") { return; }
    var d = JSON.parse(block.textContent);
    var charts = {
      forecast: function (c) { draw(c, d.labels, series(d, d.names, ["forecast", "actual"], false)); },
      requirement: function (c) { draw(c, d.labels, series(d, d.names, ["raw", "positions"], true)); },
      coverage: function (c) {
        if (d.coverage) { draw(c, d.coverage.labels, series(d.coverage, d.names, ["requirement", "scheduled"], true)); }
      }
    };
    document.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      var make = charts[c.dataset.chart];
      if (make) { make(c); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

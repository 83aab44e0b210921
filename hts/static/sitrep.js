// Draws the SITREP trend charts from the JSON in data-sitrep-trend (no inline script: the CSP
// allows scripts from this site only). The table under the charts carries the same figures, so
// nothing is lost when scripts or canvas are unavailable.
(function () {
  "use strict";

  var COLOURS = {
    routes_delivered_pct: "#1d70b8",
    routes_on_time_pct: "#00703c",
    pupils_transported_pct: "#4c2c92",
    calls_answered_pct: "#d4351c"
  };

  function lowest(values, target) {
    var numbers = values.filter(function (v) { return v !== null; });
    var floor = Math.min.apply(null, numbers.concat([target]));
    // Show the area around the target, not 0-100, so a fall of one point is visible.
    return Math.max(0, Math.floor(floor - 2));
  }

  function draw(container) {
    if (typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(container.getAttribute("data-sitrep-trend"));
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    container.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var series = data.series.find(function (s) { return s.key === canvas.getAttribute("data-series"); });
      if (!series) {
        return;
      }
      var colour = COLOURS[series.key] || "#0b0c0c";
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            {
              label: series.label,
              data: series.values,
              borderColor: colour,
              backgroundColor: colour,
              pointRadius: 2,
              borderWidth: 2,
              spanGaps: false
            },
            {
              label: "Target " + series.target.toFixed(2) + "%",
              data: data.labels.map(function () { return series.target; }),
              borderColor: "#0b0c0c",
              borderDash: [6, 4],
              borderWidth: 1,
              pointRadius: 0
            }
          ]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: reduceMotion ? false : { duration: 300 },
          interaction: { mode: "index", intersect: false },
          scales: {
            y: {
              min: lowest(series.values, series.target),
              max: 100,
              ticks: { callback: function (value) { return value + "%"; } }
            },
            x: { ticks: { maxTicksLimit: 10, autoSkip: true } }
          },
          plugins: {
            legend: { position: "bottom", labels: { boxHeight: 2 } },
            tooltip: {
              callbacks: {
                label: function (context) {
                  var v = context.parsed.y;
                  return context.dataset.label + ": " + (v === null ? "n/a" : v.toFixed(2) + "%");
                }
              }
            }
          }
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("[data-sitrep-trend]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

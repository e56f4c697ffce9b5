// Campaign page: conversions per day and exclusions by reason (Chart.js, vendored), drawn from
// <script type="application/json"> blocks written by json_script — no inline code, so the page
// runs under the Content Security Policy. The page's body is swapped in by htmx after a build:
// its charts are drawn again after each swap.
"use strict";

(function () {
  const BLUE = "#0b5cad";
  const GREY = "#6c757d";
  const ORANGE = "#e76f51";
  const drawn = new WeakMap();

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function chart(canvasId, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined" || drawn.has(canvas)) return;
    const fmt = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 0 });
    config.options = Object.assign(
      {
        animation: false,
        responsive: true,
        aspectRatio: window.innerWidth < 576 ? 2 : 4,
        scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: (value) => fmt.format(value) } } },
      },
      config.options || {}
    );
    drawn.set(canvas, new Chart(canvas, config));
  }

  function dailyChart() {
    const data = readJson("daily-data");
    if (!data) return;
    const datasets = [{ label: data.labels.converted, data: data.converted, backgroundColor: BLUE }];
    if (data.show_control) datasets.push({ label: data.labels.control, data: data.control, backgroundColor: GREY });
    chart("daily-chart", { type: "bar", data: { labels: data.days, datasets: datasets } });
  }

  function excludedChart() {
    const data = readJson("excluded-data");
    if (!data || !data.labels.length) return;
    chart("excluded-chart", {
      type: "bar",
      data: { labels: data.labels, datasets: [{ data: data.counts, backgroundColor: ORANGE }] },
      options: {
        aspectRatio: Math.max(1.2, Math.min(4, 8 / data.labels.length)),
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function draw() {
    dailyChart();
    excludedChart();
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSwap", draw);
})();

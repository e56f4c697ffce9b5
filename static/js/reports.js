// Report pages: trend and mix charts (Chart.js, vendored) drawn from <script type="application/json">
// blocks written by json_script — no inline code, so the pages run under the Content Security
// Policy — and the print button. Figures, dates and months read in the page's language through
// window.CrmCharts (charts.js, loaded first): amounts in 万/亿 in Chinese, M/B in English.
"use strict";

(function () {
  const PALETTE = ["#0b5cad", "#2a9d8f", "#e9c46a", "#e76f51", "#6c757d", "#8e44ad"];

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // kind "money": amounts (¥1.43亿 on the axis, four digits in the tooltip); "count": clients.
  function chart(canvasId, kind, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined" || !window.CrmCharts) return;
    const fmt = window.CrmCharts;
    // Lost clients are drawn below the axis; a tooltip still reads the count ("5", not "-5").
    const tip = kind === "money" ? fmt.yuanTip : (value) => fmt.count(Math.abs(value));
    // Counts are whole clients: whole ticks only (never "1, 1, 0, -1"), and lost clients below
    // the axis read as counts too.
    const axis = kind === "money" ? fmt.yuanAxis : (value) => fmt.count(Math.abs(value));
    config.data.labels = fmt.labels(config.data.labels);
    const options = config.options || {};
    const scales = options.scales || {};
    config.options = Object.assign({}, options, {
      animation: false,
      responsive: true,
      plugins: Object.assign({}, options.plugins, { tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${tip(ctx.parsed.y)}` } } }),
      scales: Object.assign({}, scales, { y: Object.assign({}, scales.y, { ticks: Object.assign(kind === "money" ? {} : { precision: 0 }, { callback: (value, index, ticks) => axis(value, index, ticks) }) }) }),
    });
    new Chart(canvas, config);
  }

  function trendCharts() {
    const data = readJson("trend-data");
    if (!data) return;
    chart("trend-assets-chart", "money", {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: data.names.assets, data: data.assets, borderColor: PALETTE[0], backgroundColor: "rgba(11,92,173,.12)", fill: true, spanGaps: true, tension: 0.2 }],
      },
      options: { plugins: { legend: { display: false } } },
    });
    chart("trend-flow-chart", "money", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.names.net_inflow, data: data.net_inflow, backgroundColor: data.net_inflow.map((v) => (v < 0 ? PALETTE[3] : PALETTE[1])) }],
      },
      options: { plugins: { legend: { display: false } } },
    });
    chart("trend-clients-chart", "count", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.names.new_clients, data: data.new_clients, backgroundColor: PALETTE[1] },
          { label: data.names.lost_clients, data: data.lost_clients.map((v) => -v), backgroundColor: PALETTE[3] },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    });
  }

  function mixChart(canvasId, dataId) {
    const data = readJson(dataId);
    if (!data) return;
    chart(canvasId, "count", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map((series, i) => ({ label: series.label, data: series.values, backgroundColor: PALETTE[i % PALETTE.length] })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    trendCharts();
    mixChart("mix-tier-chart", "mix-tier-data");
    mixChart("mix-stage-chart", "mix-stage-data");
    document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
  });
})();

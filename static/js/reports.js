// Report pages: trend and mix charts (Chart.js, vendored) drawn from <script type="application/json">
// blocks written by json_script — no inline code, so the pages run under the Content Security
// Policy — and the print button.
"use strict";

(function () {
  const PALETTE = ["#0b5cad", "#2a9d8f", "#e9c46a", "#e76f51", "#6c757d", "#8e44ad"];

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function numberFormat() {
    const lang = document.documentElement.lang || "en";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  }

  function chart(canvasId, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") return;
    const fmt = numberFormat();
    config.options = Object.assign(
      {
        animation: false,
        responsive: true,
        plugins: { tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmt.format(ctx.parsed.y)}` } } },
        scales: { y: { ticks: { callback: (value) => fmt.format(value) } } },
      },
      config.options || {}
    );
    new Chart(canvas, config);
  }

  function trendCharts() {
    const data = readJson("trend-data");
    if (!data) return;
    chart("trend-assets-chart", {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: data.names.assets, data: data.assets, borderColor: PALETTE[0], backgroundColor: "rgba(11,92,173,.12)", fill: true, spanGaps: true, tension: 0.2 }],
      },
      options: { plugins: { legend: { display: false } } },
    });
    chart("trend-flow-chart", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.names.net_inflow, data: data.net_inflow, backgroundColor: data.net_inflow.map((v) => (v < 0 ? PALETTE[3] : PALETTE[1])) }],
      },
      options: { plugins: { legend: { display: false } } },
    });
    chart("trend-clients-chart", {
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
    chart(canvasId, {
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

// Charts of the workbench (Chart.js, vendored). Each chart reads its data from a
// <script type="application/json"> block written by Django's json_script — no inline code,
// so the pages run under the Content Security Policy.
"use strict";

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function moneyFormatter() {
  const lang = document.documentElement.lang || "en";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
}

function lineChart(canvasId, dataId) {
  const canvas = document.getElementById(canvasId);
  const data = readJson(dataId);
  if (!canvas || !data || typeof Chart === "undefined") return;
  const fmt = moneyFormatter();
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{ label: data.label, data: data.values, borderColor: "#0b5cad", backgroundColor: "rgba(11,92,173,.12)", fill: true, spanGaps: true, tension: 0.2 }],
    },
    options: {
      animation: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => fmt.format(ctx.parsed.y) } } },
      scales: { y: { ticks: { precision: 0, callback: (value) => fmt.format(value) } } },
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  lineChart("book-assets-chart", "book-assets-data");
  lineChart("client-assets-chart", "client-assets-data");
});

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
    // Days in the page's language (2026年11月20日 / 20 Nov 2026), as charts.js writes them.
    const days = window.CrmCharts ? window.CrmCharts.labels(data.days) : data.days;
    chart("daily-chart", { type: "bar", data: { labels: days, datasets: datasets } });
  }

  // A long label as lines (Chart.js draws an array as one line each), so that the y axis of a
  // narrow chart keeps whole words instead of clipping them: at spaces, or every `width`
  // characters in Chinese (no spaces to break at).
  function wrapLabel(text, width) {
    const words = String(text).split(" ");
    const lines = [];
    let line = "";
    for (const word of words) {
      let rest = word;
      while (rest.length > width) {
        if (line) {
          lines.push(line);
          line = "";
        }
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (!rest) continue;
      if (line && (line + " " + rest).length > width) {
        lines.push(line);
        line = rest;
      } else {
        line = line ? line + " " + rest : rest;
      }
    }
    if (line) lines.push(line);
    return lines.length > 1 ? lines : lines[0] || "";
  }

  function excludedChart() {
    const data = readJson("excluded-data");
    if (!data || !data.labels.length) return;
    const canvas = document.getElementById("excluded-chart");
    const wide = canvas && canvas.parentElement ? canvas.parentElement.clientWidth : window.innerWidth;
    // About a third of the chart's width for the labels: ~14px a Chinese character, ~7px a Latin one.
    const chinese = /[\u3400-\u9fff]/.test(data.labels.join(""));
    const width = Math.max(4, Math.floor(wide / 3 / (chinese ? 13 : 7)));
    const labels = data.labels.map((label) => wrapLabel(label, width));
    const lines = labels.reduce((n, label) => n + (Array.isArray(label) ? label.length : 1), 0);
    chart("excluded-chart", {
      type: "bar",
      data: { labels: labels, datasets: [{ data: data.counts, backgroundColor: ORANGE }] },
      options: {
        aspectRatio: Math.max(1, Math.min(4, 8 / Math.max(data.labels.length, lines / 1.5))),
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => data.labels[items[0].dataIndex] } },
        },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { ticks: { autoSkip: false } },
        },
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

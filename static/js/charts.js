// Charts of the workbench (Chart.js, vendored). Each chart reads its data from a
// <script type="application/json"> block written by Django's json_script — no inline code,
// so the pages run under the Content Security Policy.
//
// The page's language decides how figures read (window.CrmCharts, used by reports.js too):
// amounts as ¥1.43亿 / ¥649.7万 in Chinese and ¥143.3M in English (Intl's compact notation,
// as the cards print them, core/money.py), counts grouped by thousands, and ISO dates from the
// server as the pages write dates: 2026年11月20日 / 20 Nov 2026, months 2026年11月 / Nov 2026.
"use strict";

window.CrmCharts = (function () {
  const lang = (document.documentElement.lang || "en").toLowerCase();
  const chinese = lang.startsWith("zh");
  // en-GB: day before month ("20 Nov 2026"), the pages' English date style (crm/formats/en).
  const locale = chinese ? "zh-CN" : "en-GB";

  function yuanFormat(digits) {
    return new Intl.NumberFormat(locale, {
      style: "currency",
      currency: "CNY",
      currencyDisplay: "narrowSymbol",
      notation: "compact",
      maximumSignificantDigits: digits,
    });
  }
  const axisYuan = yuanFormat(3);
  const tipYuan = yuanFormat(4);
  const counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const days = new Intl.DateTimeFormat(locale, { year: "numeric", month: chinese ? "long" : "short", day: "numeric", timeZone: "UTC" });
  const months = new Intl.DateTimeFormat(locale, { year: "numeric", month: chinese ? "long" : "short", timeZone: "UTC" });

  function label(text) {
    // The server sends ISO days (2026-11-20) and months (2026-11); anything else is shown as sent.
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (day) return days.format(new Date(Date.UTC(+day[1], +day[2] - 1, +day[3])));
    const month = /^(\d{4})-(\d{2})$/.exec(text);
    if (month) return months.format(new Date(Date.UTC(+month[1], +month[2] - 1, 1)));
    return text;
  }

  return {
    yuanAxis: (value) => axisYuan.format(value),
    yuanTip: (value) => tipYuan.format(value),
    count: (value) => counts.format(value),
    labels: (list) => (list || []).map((text) => label(String(text))),
  };
})();

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function lineChart(canvasId, dataId) {
  const canvas = document.getElementById(canvasId);
  const data = readJson(dataId);
  if (!canvas || !data || typeof Chart === "undefined") return;
  const fmt = window.CrmCharts;
  new Chart(canvas, {
    type: "line",
    data: {
      labels: fmt.labels(data.labels),
      datasets: [{ label: data.label, data: data.values, borderColor: "#0b5cad", backgroundColor: "rgba(11,92,173,.12)", fill: true, spanGaps: true, tension: 0.2 }],
    },
    options: {
      animation: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => fmt.yuanTip(ctx.parsed.y) } } },
      scales: { y: { ticks: { callback: (value) => fmt.yuanAxis(value) } } },
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  lineChart("book-assets-chart", "book-assets-data");
  lineChart("client-assets-chart", "client-assets-data");
});

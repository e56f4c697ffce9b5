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
  const locale = chinese ? "zh-CN" : "en-US"; // en-US: ¥143.3M as the cards write it (en-GB: ¥143.3m)

  function yuanFormat(digits, fractions = 2) {
    return new Intl.NumberFormat(locale, {
      style: "currency",
      currency: "CNY",
      currencyDisplay: "narrowSymbol",
      notation: "compact",
      maximumSignificantDigits: digits,
      maximumFractionDigits: fractions, // ¥1.43亿 and ¥649.7万, as core/money.py writes the cards
      roundingPriority: "lessPrecision",
    });
  }
  const tipYuan = yuanFormat(4);
  // An axis reads 3 significant digits (¥1.43亿, ¥5400万) unless its ticks are closer than that:
  // a year of one client's assets may span ¥121万–¥122万, and every tick would read ¥122万. Then
  // as many digits as make consecutive ticks differ (¥121.8万, ¥122万, ¥122.2万), up to 7.
  const axisYuans = [3, 4, 5, 6, 7].map((digits) => yuanFormat(digits, digits === 3 ? 2 : digits));
  const axisChoice = new WeakMap(); // ticks array (one per axis layout) -> the formatter that fits

  function axisFormat(ticks) {
    if (!Array.isArray(ticks) || ticks.length < 2) return axisYuans[0];
    let chosen = axisChoice.get(ticks);
    if (chosen) return chosen;
    const values = ticks.map((tick) => (tick && typeof tick === "object" ? tick.value : tick));
    chosen =
      axisYuans.find((format) => values.every((value, i) => i === 0 || format.format(value) !== format.format(values[i - 1]))) ||
      axisYuans[axisYuans.length - 1];
    axisChoice.set(ticks, chosen);
    return chosen;
  }
  const counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  // English month names as Django's "M" writes them (Sep, not en-GB's "Sept").
  const monthName = new Intl.DateTimeFormat("en-US", { month: "short", timeZone: "UTC" });

  function dateLabel(year, month, day) {
    if (chinese) return day ? `${year}年${month}月${day}日` : `${year}年${month}月`;
    const name = monthName.format(new Date(Date.UTC(year, month - 1, 1)));
    return day ? `${day} ${name} ${year}` : `${name} ${year}`; // 20 Nov 2026, as crm/formats/en
  }

  function label(text) {
    // The server sends ISO days (2026-11-20) and months (2026-11); anything else is shown as sent.
    const found = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
    return found ? dateLabel(+found[1], +found[2], found[3] ? +found[3] : 0) : text;
  }

  return {
    // A tick callback (Chart.js passes value, index, ticks); called with a value alone, 3 digits.
    yuanAxis: (value, _index, ticks) => axisFormat(ticks).format(value),
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
      scales: { y: { ticks: { callback: (value, index, ticks) => fmt.yuanAxis(value, index, ticks) } } },
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  lineChart("book-assets-chart", "book-assets-data");
  lineChart("client-assets-chart", "client-assets-data");
});

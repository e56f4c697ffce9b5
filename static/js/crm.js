// Broker CRM page behaviour. Loaded with `defer` from templates/base.html; no inline scripts
// (the Content Security Policy forbids them).
"use strict";

// A <select data-autosubmit> submits its form when changed (the language switcher).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// A <button data-clear="#selector"> empties that element: the Cancel of a form fetched in place.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-clear]");
  if (!button) return;
  const target = document.querySelector(button.dataset.clear);
  if (target) target.replaceChildren();
});

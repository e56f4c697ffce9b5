// Broker CRM page behaviour. Loaded with `defer` from templates/base.html; no inline scripts
// (the Content Security Policy forbids them).
"use strict";

// A <select data-autosubmit> submits its form when changed (the language switcher).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

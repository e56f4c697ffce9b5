// The transfer form: only the field the chosen scope needs is shown — the clients for "one or
// several clients", the advisor whose book moves for "a whole book". Without JavaScript both
// show, and the server ignores the one the scope does not use.
"use strict";

(() => {
  function sync(form) {
    const chosen = form.querySelector("input[name='scope']:checked");
    if (!chosen) return;
    form.querySelectorAll("[data-transfer-scope]").forEach((group) => {
      group.hidden = group.dataset.transferScope !== chosen.value;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("transfer-form");
    if (!form) return;
    sync(form);
    form.querySelectorAll("input[name='scope']").forEach((radio) => radio.addEventListener("change", () => sync(form)));
  });
})();

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

// A list fetched after the page (the dashboard's, data-load-error="message") that could not be
// read says so, with a link to the list's own page, instead of "Loading…" for ever.
function showLoadError(event) {
  const box = event.detail && event.detail.elt;
  if (!box || !box.dataset.loadError) return;
  const note = document.createElement("p");
  note.className = "text-danger small mb-0";
  note.setAttribute("role", "alert");
  const link = document.createElement("a");
  link.href = box.getAttribute("hx-get");
  link.textContent = box.dataset.loadError;
  note.append(link);
  box.querySelector("p")?.replaceWith(note);
  box.removeAttribute("aria-busy");
}
document.addEventListener("htmx:responseError", showLoadError);
document.addEventListener("htmx:sendError", showLoadError);

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

// ---- Forms that answer in place ----------------------------------------------------------------
//
// One mechanism for every in-place (htmx) form of the workbench. htmx swaps only 2xx answers; a
// view that refuses a form answers the form's fragment again — what the user typed, each error
// under its field — with a 4xx status and the header `X-Form-Errors: 1` (core/htmx.py). Those
// answers are swapped like a success. Any other failed answer (the server's 403/404/500 pages, a
// proxy's page) or no answer at all is not something to put in the page: a short message is
// shown next to the form instead (role="alert"), and the form keeps what the user typed. The
// messages are translated by the page: data-* attributes of this <script> tag (base.html).
const requestWords = (() => {
  const script = document.currentScript;
  return {
    refused: script?.dataset.refused || "You are not allowed to do this. Reload the page to see what you may do.",
    failed: script?.dataset.failed || "This could not be done: the server answered with an error. What you typed is kept; try again.",
    offline: script?.dataset.offline || "The server could not be reached. What you typed is kept; check the connection and try again.",
    signedOut: script?.dataset.signedOut || "Your sign-in has ended. What you typed is kept: sign in again in the new tab, then send the form again.",
    signIn: script?.dataset.signIn || "Sign in",
    signInUrl: script?.dataset.signInUrl || "/accounts/login/",
  };
})();

// After a refused form is swapped in, the first invalid field takes the focus (its id is looked
// up again: an outerHTML swap replaces the target element itself).
let focusAfterSettle = null;

document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  // A request whose sign-in has ended (signed out in another tab, idle too long) is redirected
  // to the sign-in page, which the browser follows: that page must not be swapped into a row.
  // The form stays as typed, with a link that signs in again in a new tab.
  if (signInAnswer(xhr)) {
    event.detail.shouldSwap = false;
    // (The swap events fire on the target; the form that sent the request is the config's elt.)
    noteRequestError(event.detail.requestConfig?.elt || event.detail.elt, requestWords.signedOut, requestWords.signInUrl);
    return;
  }
  if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Form-Errors")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    focusAfterSettle = event.detail.target?.id || null;
  }
  if (event.detail.shouldSwap) clearRequestError(event.detail.elt);
});

document.addEventListener("htmx:afterSettle", () => {
  if (focusAfterSettle === null) return;
  const area = document.getElementById(focusAfterSettle);
  focusAfterSettle = null;
  if (area) focusFirstInvalid(area);
});

function focusFirstInvalid(area) {
  // A field in error first; a form-wide error (role="alert") only when no field is marked.
  const mark =
    area.querySelector(".is-invalid, [aria-invalid='true'], .invalid-feedback") || area.querySelector("[role='alert']");
  if (!mark) return;
  // An error under a group of boxes (radios, checkboxes): the group's first box.
  const target = mark.matches(".invalid-feedback")
    ? mark.parentElement?.querySelector("input:not([type='hidden']), select, textarea") || mark
    : mark;
  if (!target.matches("input, select, textarea, button, a")) target.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "center" });
  keepInView = target;
  setTimeout(() => {
    if (keepInView === target) keepInView = null;
  }, KEEP_IN_VIEW_MS);
}

// Cards fetched after the page (the client page's lower cards) can arrive above the field in
// error and push it out of view: while it keeps the focus, in the first seconds, it is brought
// back to the middle of the screen when one of them settles.
let keepInView = null;
const KEEP_IN_VIEW_MS = 5000;
document.addEventListener("htmx:afterSettle", () => {
  if (!keepInView || document.activeElement !== keepInView) return;
  const box = keepInView.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) keepInView.scrollIntoView({ block: "center" });
});

// Where a failed request's message goes: at the top of the form that sent it, or after the
// button or link that did.
function requestErrorHolder(elt) {
  return elt?.closest?.("form") || elt || null;
}

function clearRequestError(elt) {
  const holder = requestErrorHolder(elt);
  if (!holder) return;
  const note = holder.tagName === "FORM" ? holder.querySelector(":scope > .js-request-error") : holder.nextElementSibling;
  if (note?.classList.contains("js-request-error")) note.remove();
}

// The reason the server gave, when its answer is the short fragment our error views write for
// htmx (crm/error_views.py: `<div class="alert" role="alert">…</div>`, already in the user's
// language); a whole page or anything else gives no reason and the generic words are used.
function serverMessage(xhr) {
  const body = xhr?.responseText || "";
  if (!body || body.length > 2000 || /<html|<!doctype/i.test(body)) return "";
  const fragment = new DOMParser().parseFromString(body, "text/html");
  return fragment.querySelector("[role='alert']")?.textContent.trim() || "";
}

function signInAnswer(xhr) {
  if (!xhr?.responseURL) return false;
  try {
    return new URL(xhr.responseURL, window.location.href).pathname === new URL(requestWords.signInUrl, window.location.href).pathname;
  } catch {
    return false;
  }
}

function showRequestError(event) {
  const elt = event.detail?.elt;
  if (!elt || elt.dataset?.loadError) return; // lists fetched after the page: showLoadError
  const xhr = event.detail.xhr;
  const status = event.type === "htmx:sendError" || !xhr ? 0 : xhr.status;
  const generic = status === 0 ? requestWords.offline : status === 403 ? requestWords.refused : requestWords.failed;
  noteRequestError(elt, serverMessage(xhr) || (status ? `${generic} (${status})` : generic));
}

// A message at the top of the form that sent the request (or after its button), with a link
// opening in a new tab when ``href`` is given (signing in again keeps this page as typed).
function noteRequestError(elt, text, href) {
  if (!elt) return;
  clearRequestError(elt);
  const note = document.createElement("div");
  note.className = "alert alert-danger small py-1 px-2 my-2 js-request-error";
  note.setAttribute("role", "alert");
  note.textContent = text;
  if (href) {
    const link = document.createElement("a");
    link.href = `${href}?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.className = "ms-1";
    link.textContent = requestWords.signIn;
    note.append(" ", link);
  }
  const holder = requestErrorHolder(elt);
  if (holder.tagName === "FORM") holder.prepend(note);
  else holder.after(note);
}
document.addEventListener("htmx:responseError", showRequestError);
document.addEventListener("htmx:sendError", showRequestError);

// A full page that comes back with a refused form (the share form at the foot of the client
// page, the check, assessment and transfer pages): its first invalid field takes the focus and
// is scrolled into view, so the user sees at once what to correct.
// (Only forms that post: a list's GET filters never take the focus on arrival.)
const firstInvalidForm = document
  .querySelector([".is-invalid", ".invalid-feedback", "[role='alert']"].map((mark) => `main form[method="post" i] ${mark}`).join(", "))
  ?.closest("form");
// After the page's load: a URL's #fragment (the form's action, e.g. #share-form) moves the focus
// to its target when the browser scrolls there, which would undo an earlier focus.
if (firstInvalidForm) window.addEventListener("load", () => setTimeout(() => focusFirstInvalid(firstInvalidForm)));

// A #fragment names where the user was sent — a page opened at one (a campaign task's "Log
// outcome" opens the client page at #log-contact) or a link within the page ("Log a contact" at
// its top). Cards fetched after the page can arrive above it and push it down the screen: in the
// first seconds, until the user scrolls or types, it is brought back to the top of the screen
// whenever one of them settles. Any press of a pointer releases it, as scrolling or typing does:
// a tap on another card must not be pulled back (the link's own press comes before its click).
let anchored = null;
function keepAnchored(target) {
  // Only a target below something still to be fetched can be pushed (not the messages at the top).
  const pending = [...document.querySelectorAll("[hx-trigger]")];
  if (!pending.some((element) => element.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING)) return;
  anchored = target;
  setTimeout(() => {
    if (anchored === target) anchored = null;
  }, KEEP_IN_VIEW_MS);
}
function fragmentTarget(hash) {
  return hash.length > 1 ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
}
if (!firstInvalidForm && fragmentTarget(window.location.hash)) keepAnchored(fragmentTarget(window.location.hash));
for (const type of ["wheel", "touchmove", "keydown", "pointerdown"]) {
  window.addEventListener(type, () => {
    anchored = null;
  }, { passive: true });
}
document.addEventListener("click", (event) => {
  const link = event.target.closest?.('a[href^="#"]');
  const target = link && fragmentTarget(link.getAttribute("href"));
  if (target) keepAnchored(target);
});
document.addEventListener("htmx:afterSettle", () => {
  if (anchored) anchored.scrollIntoView({ block: "start" });
});

// A strip of tabs that scrolls sideways on a phone (the compliance queues) opens with the
// current tab in view, not scrolled off past the strip's end.
for (const current of document.querySelectorAll(".nav-tabs.overflow-auto [aria-current='page']")) {
  const strip = current.closest(".nav-tabs");
  if (strip.scrollWidth <= strip.clientWidth) continue;
  const offset = current.getBoundingClientRect().left - strip.getBoundingClientRect().left;
  strip.scrollLeft += offset - (strip.clientWidth - current.offsetWidth) / 2;
}

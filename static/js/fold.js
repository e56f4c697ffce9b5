// Folding on a phone (below 768 px): one mechanism for the whole workbench.
//
// - Every <form class="filters"> folds behind a "Filters" button that says how many filters are
//   set, so a list's first screen shows the list, not its filters.
// - Every card inside a <section data-fold> (the client page) folds to its first <h2>: the heading
//   becomes the button that opens it. data-fold="open" starts open (the profile); the others start
//   folded unless they hold what the user came for (a form with errors, the #target of the URL).
//
// At 768 px and wider nothing is changed (no button, no class), and without JavaScript everything
// shows: folding is an enhancement only. Loaded with `defer` from templates/base.html; the words
// come from that <script> tag's data-* attributes, translated there (no inline script: CSP).
//
// Lazy content still loads: a folded card keeps its heading — and every element around the
// heading — displayed, so an htmx `hx-trigger="intersect once"` container holding the heading
// (the client page's recommended products and product shelf) loads as it comes into view. Its content stays
// folded until opened, and the heading it brings in place of the old one is made a button again
// (htmx:afterSettle).
"use strict";

(() => {
  const script = document.currentScript;
  const words = {
    filters: script?.dataset.filters || "Filters",
    active: script?.dataset.active || "{count} active",
  };
  const phone = window.matchMedia("(max-width: 767.98px)");

  // ---- filter forms -------------------------------------------------------------------------

  // A filter is "set" when a visible field holds a value other than its unfiltered one: text,
  // search and date boxes that are not empty, selects on another option than their first (the
  // first is the unfiltered "All…" / default choice in every list form).
  function activeFilters(form) {
    let count = 0;
    for (const field of form.elements) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button" || !field.name) continue;
      if (field.tagName === "SELECT") {
        if (field.multiple ? field.selectedOptions.length > 0 : field.selectedIndex > 0) count += 1;
      } else if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) count += 1;
      } else if (field.value.trim() !== "") {
        count += 1;
      }
    }
    return count;
  }

  let formNumber = 0;

  function foldFilters(form) {
    if (form.foldToggle) return;
    if (!form.id) form.id = `filters-${++formNumber}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary fold-toggle";
    button.setAttribute("aria-controls", form.id);
    const label = document.createElement("span");
    label.textContent = words.filters;
    const badge = document.createElement("span");
    badge.className = "badge rounded-pill text-bg-primary ms-1 fold-count";
    button.append(label, badge);
    form.before(button);
    form.foldToggle = button;

    const showCount = () => {
      const count = activeFilters(form);
      badge.textContent = String(count);
      badge.hidden = count === 0;
      button.setAttribute("aria-label", count ? `${words.filters} (${words.active.replace("{count}", count)})` : words.filters);
    };
    form.addEventListener("change", showCount);
    showCount();
    // A filter the server refused is shown open, next to its message.
    setFilters(form, Boolean(form.querySelector(".is-invalid, [aria-invalid='true']")));
    button.addEventListener("click", () => setFilters(form, form.classList.contains("fold-closed")));
  }

  function setFilters(form, open) {
    form.classList.toggle("fold-closed", !open);
    form.foldToggle.setAttribute("aria-expanded", String(open));
  }

  function unfoldFilters(form) {
    if (!form.foldToggle) return;
    form.foldToggle.remove();
    form.foldToggle = null;
    form.classList.remove("fold-closed");
  }

  // ---- client page sections -----------------------------------------------------------------

  // The card's first <h2> (found at any depth: the lazily loaded cards keep theirs inside the
  // htmx container) and the elements between it and the card body, which stay displayed.
  function headOf(body) {
    return body.querySelector("h2");
  }

  function markPath(body, head) {
    body.querySelectorAll(".fold-path").forEach((el) => el.classList.remove("fold-path"));
    for (let el = head.parentElement; el && el !== body; el = el.parentElement) el.classList.add("fold-path");
  }

  function makeHeadButton(body) {
    const head = headOf(body);
    if (!head) return null;
    if (!head.querySelector(":scope > .fold-button")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "fold-button";
      button.append(...head.childNodes);
      head.append(button);
      head.classList.add("fold-head");
      button.addEventListener("click", () => setSection(body, body.classList.contains("fold-closed")));
    }
    markPath(body, head);
    return head;
  }

  // The id a URL's #fragment names ("" when none, or when it is not valid percent-encoding).
  function fragmentId(hash) {
    try {
      return decodeURIComponent(hash.slice(1));
    } catch {
      return "";
    }
  }

  function holdsTarget(body) {
    const id = fragmentId(location.hash);
    const target = id && document.getElementById(id);
    return Boolean(target && body.contains(target));
  }

  function foldSection(body, startOpen) {
    if (body.classList.contains("fold")) return;
    if (!makeHeadButton(body)) return;
    body.classList.add("fold");
    const open =
      startOpen || holdsTarget(body) || Boolean(body.querySelector(".is-invalid, .alert-danger, details[open]"));
    setSection(body, open);
  }

  function setSection(body, open) {
    body.classList.toggle("fold-closed", !open);
    headOf(body)?.querySelector(":scope > .fold-button")?.setAttribute("aria-expanded", String(open));
  }

  function unfoldSection(body) {
    if (!body.classList.contains("fold")) return;
    const head = headOf(body);
    const button = head?.querySelector(":scope > .fold-button");
    if (button) {
      head.append(...button.childNodes);
      button.remove();
      head.classList.remove("fold-head");
    }
    body.querySelectorAll(".fold-path").forEach((el) => el.classList.remove("fold-path"));
    body.classList.remove("fold", "fold-closed");
  }

  const sectionBodies = () => document.querySelectorAll("[data-fold] .card-body");

  // A link to something inside a folded card (the page's "Log a contact" → #log-contact) opens
  // the card first, so the browser scrolls to a shown element; a <details> target opens too.
  function openTarget(id) {
    const target = id && document.getElementById(id);
    if (!target) return;
    const body = target.closest(".fold.fold-closed");
    if (body) setSection(body, true);
    if (target.tagName === "DETAILS") target.open = true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href*='#']");
    if (!link || link.pathname !== location.pathname || link.search !== location.search) return;
    openTarget(fragmentId(link.hash));
  });
  window.addEventListener("hashchange", () => openTarget(fragmentId(location.hash)));

  // Content swapped into a folded card brings its own heading: make it the button again; and
  // a table it brings gets its scrolling box.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!phone.matches || !event.target.closest) return;
    const body = event.target.closest(".fold");
    if (body) {
      makeHeadButton(body);
      setSection(body, !body.classList.contains("fold-closed"));
    }
    if (event.target.parentElement) boxTables(event.target.parentElement);
  });

  // ---- tables that do not fit ---------------------------------------------------------------

  // A table outside a .table-responsive box would push a phone's page sideways: below 768 px it
  // is put in one (and taken out again when the screen widens), so it scrolls inside its card.
  // The client list's cards (.table-cards) fit by themselves.
  function boxTables(root) {
    root.querySelectorAll("main table:not(.table-cards)").forEach((table) => {
      if (table.parentElement.classList.contains("table-responsive")) return;
      const box = document.createElement("div");
      box.className = "table-responsive fold-table-box";
      table.before(box);
      box.append(table);
    });
  }

  function unboxTables() {
    document.querySelectorAll(".fold-table-box").forEach((box) => box.replaceWith(...box.childNodes));
  }

  // ---- phone or not -------------------------------------------------------------------------

  function apply() {
    if (phone.matches) {
      document.querySelectorAll("form.filters").forEach(foldFilters);
      sectionBodies().forEach((body) => foldSection(body, body.closest("[data-fold]").dataset.fold === "open"));
      boxTables(document);
    } else {
      document.querySelectorAll("form.filters").forEach(unfoldFilters);
      sectionBodies().forEach(unfoldSection);
      unboxTables();
    }
  }

  phone.addEventListener("change", apply);
  apply();
  // A page opened at a <details> (a client page at #log-contact) opens it: the user came for
  // what it holds, at any width.
  openTarget(fragmentId(location.hash));
})();

// Product pickers: a <select data-picker data-picker-url="..."> becomes a type-ahead search
// (Tom Select, vendored under static/vendor/tom-select/) over the server's product search.
// No inline scripts (the Content Security Policy forbids them).
//
// The select arrives with the options a browser without JavaScript needs (products on sale,
// plus any chosen); here only the chosen ones are kept and the rest come from the search, so a
// closed product is offered only when the box named by data-picker-closed is ticked. Tom Select
// and its style sheet are loaded only on pages that have a picker; their URLs (hashed by the
// static files storage) come from this script's own tag.
"use strict";

(() => {
  const me = document.currentScript;
  const assets = { js: me && me.dataset.tomSelectJs, css: me && me.dataset.tomSelectCss };
  let loading = null;

  function loadTomSelect() {
    if (window.TomSelect) return Promise.resolve();
    if (loading) return loading;
    loading = new Promise((resolve, reject) => {
      if (assets.css) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = assets.css;
        document.head.appendChild(link);
      }
      const script = document.createElement("script");
      script.src = assets.js;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error("Tom Select did not load"));
      document.head.appendChild(script);
    });
    return loading;
  }

  // A text <input data-picker> (the transfer form's clients) is a picker of several items whose
  // values the input posts comma-separated, as a person would type them without JavaScript.
  // Its chosen items come with their labels in data-picker-chosen (JSON: [{id, label}]).
  function inputSettings(input) {
    let chosen = [];
    try {
      chosen = JSON.parse(input.dataset.pickerChosen || "[]");
    } catch (error) {
      chosen = [];
    }
    const values = input.value.split(/[\s,，;；、]+/).filter(Boolean);
    const known = new Set(chosen.map((item) => item.id));
    values.filter((value) => !known.has(value)).forEach((value) => chosen.push({ id: value, label: value }));
    input.value = values.join(",");
    const settings = { options: chosen, items: values, maxItems: null, delimiter: ",", persist: false };
    if (input.dataset.pickerCreate !== undefined) {
      // A number the list does not show may still be written (or a list pasted): the server
      // says at the field which ones it does not know.
      settings.create = (text) => ({ id: text, label: text });
      // Only what looks like a number: a name typed and entered before its matches arrive
      // must not become an item.
      settings.createFilter = (text) => /^[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*$/.test(text.trim());
      settings.splitOn = /[\s,，;；、]+/;
    }
    return settings;
  }

  function upgrade(select) {
    if (select.tomselect || !select.dataset.pickerUrl) return;
    const url = select.dataset.pickerUrl;
    const isInput = select.tagName === "INPUT";
    const multiple = select.multiple || isInput;
    const closedBox = select.dataset.pickerClosed ? document.querySelector(select.dataset.pickerClosed) : null;
    const noResults = select.dataset.pickerNoResults || "";
    const notOnSale = select.dataset.pickerNotOnSale || "";
    // The options the server marked chosen (defaultSelected: removing an option would make the
    // browser select the next one).
    const unchosen = isInput
      ? []
      : Array.from(select.options).filter((option) => !option.defaultSelected || option.value === "");
    unchosen.forEach((option) => option.remove());
    const hadFocus = document.activeElement === select;
    // data-picker-server-match: the server's answer is the match (pinyin initials find "张三"
    // for "zs", which the label does not contain): no filtering here, and each answer replaces
    // the last one's options (the chosen ones stay).
    const serverMatch = "pickerServerMatch" in select.dataset;
    const picker = new window.TomSelect(select, {
      valueField: "id",
      labelField: "label",
      searchField: ["label"],
      maxOptions: 20,
      loadThrottle: 250,
      create: false,
      // The list closes once a product is picked (and when the focus leaves the picker): left
      // open it covered the form's submit button until Escape was pressed.
      closeAfterSelect: true,
      placeholder: select.dataset.pickerPlaceholder || "",
      plugins: multiple ? ["remove_button"] : [],
      shouldLoad: (query) => query.trim().length > 0,
      // A single picker lets go of the focus once a product is chosen: while focused, its box is
      // two lines high (the chosen product, then the search input); shrinking only on the next
      // click moved the submit button away under the pointer, and that click was lost.
      onItemAdd() {
        if (!multiple) this.blur();
        else this.setTextboxValue("");
      },
      load(query, callback) {
        if (serverMatch) this.clearOptions();
        const params = new URLSearchParams({ q: query });
        if (closedBox && closedBox.checked) params.set("closed", "1");
        // A URL may carry its own parameters (the transfer form's "advisors who take clients").
        fetch(`${url}${url.includes("?") ? "&" : "?"}${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((data) => callback(data.results))
          .catch(() => callback());
      },
      render: {
        option(item, escape) {
          const status = item.on_sale === false ? ` <span class="badge text-bg-secondary">${escape(item.status || notOnSale)}</span>` : "";
          const risk = item.risk_level ? ` <span class="text-body-secondary small">${escape(item.risk_level)}</span>` : "";
          const detail = item.detail ? ` <span class="text-body-secondary small">${escape(item.detail)}</span>` : "";
          return `<div>${escape(item.name || item.label)} <code>${escape(item.code || "")}</code>${risk}${status}${detail}</div>`;
        },
        item(item, escape) {
          return `<div>${escape(item.label)}</div>`;
        },
        option_create(data, escape) {
          return `<div class="create">${escape(select.dataset.pickerCreate || "")} <strong>${escape(data.input)}</strong></div>`;
        },
        no_results() {
          return `<div class="no-results">${noResults.replace(/[&<>"']/g, "")}</div>`;
        },
      },
      // The transfer form's settings last: they override the defaults above (create, score).
      ...(isInput ? inputSettings(select) : {}),
      ...(serverMatch ? { score: () => () => 1 } : {}),
    });
    // The page gives the field the focus (crm.js: the first field in error), before or after the
    // upgrade: the picker takes it — the original field is hidden, and typed keys would be lost.
    if (hadFocus || document.activeElement === select) picker.focus();
    select.addEventListener("focus", () => picker.focus());
    picker.wrapper.addEventListener("focusout", (event) => {
      const next = event.relatedTarget;
      if (next && (picker.wrapper.contains(next) || picker.dropdown.contains(next))) return;
      picker.close();
    });
    if (closedBox) {
      // Ticking or unticking the box changes what the search may return: forget the answers.
      closedBox.addEventListener("change", () => {
        picker.clearOptions();
        const query = picker.inputValue();
        if (query) picker.load(query);
      });
    }
  }

  function upgradeAll(root) {
    const selects = (root || document).querySelectorAll("select[data-picker], input[data-picker]");
    if (!selects.length) return;
    loadTomSelect()
      .then(() => selects.forEach(upgrade))
      .catch(() => {}); // The plain select still works.
  }

  document.addEventListener("DOMContentLoaded", () => upgradeAll(document));
  document.addEventListener("htmx:afterSwap", (event) => upgradeAll(event.detail?.target));
})();

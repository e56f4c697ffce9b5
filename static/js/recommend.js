// The client page's Recommended list (templates/clients/_recommended.html). No inline scripts:
// the Content Security Policy forbids them.
"use strict";

// htmx swaps only 2xx answers by default. Recommend answers 400 (refused: the product does not
// match the client, with the reason on the row clicked) and 403 (not allowed) with the list meant
// to be shown in place.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const target = event.detail.target;
  if ([400, 403].includes(status) && target && target.id === "recommended") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

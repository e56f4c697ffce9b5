// Ticket page behaviour (templates/tickets/detail.html). No inline scripts: the Content Security
// Policy forbids them.
"use strict";

// htmx swaps only 2xx answers by default. The ticket actions answer 400 (refused, with the
// reason in the form), 403 (not allowed) and 409 (someone else changed the ticket: the panel
// comes back with the latest version and a message) with a panel meant to be shown.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const target = event.detail.target;
  if ([400, 403, 409].includes(status) && target && target.id === "ticket-panel") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The code map's add form (imports/admin.py): the "our code" list offers every column's codes,
// grouped by column; once a column is chosen, only that column's codes remain. Without
// JavaScript the grouped list stays and the server checks the pair.
(function () {
  "use strict";

  function setUp() {
    var column = document.getElementById("id_target_column");
    var target = document.getElementById("id_our_code");
    if (!column || !target || column.disabled || !target.querySelector("optgroup")) {
      return;
    }
    var blank = target.querySelector("option[value='']");
    var groups = Array.prototype.map.call(target.querySelectorAll("optgroup"), function (group) {
      return group.cloneNode(true);
    });

    function show() {
      var chosen = column.options[column.selectedIndex];
      var label = chosen && chosen.value ? chosen.textContent.trim() : null;
      var kept = target.value;
      target.textContent = "";
      if (blank) {
        target.appendChild(blank.cloneNode(true));
      }
      groups.forEach(function (group) {
        if (label === null) {
          target.appendChild(group.cloneNode(true));
        } else if (group.label === label) {
          Array.prototype.forEach.call(group.children, function (option) {
            target.appendChild(option.cloneNode(true));
          });
        }
      });
      target.value = kept;
      if (target.value !== kept) {
        target.value = "";
      }
    }

    column.addEventListener("change", show);
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

// Assessment editor keyboard: 1–5 set the focused item's result (the key of the current result
// confirms a carried-over answer), j/k move between items.
(function () {
  "use strict";
  function rows() { return Array.from(document.querySelectorAll("form.item-row")); }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.matches("textarea, select, input[type=text], input[type=url], input[type=date], input[type=file]")) { return; }
    var row = target.closest("form.item-row");
    if (!row) { return; }
    var list = rows();
    var index = list.indexOf(row);
    if (event.key >= "1" && event.key <= "5") {
      var radios = row.querySelectorAll("input[name=result]");
      var radio = radios[Number(event.key) - 1];
      if (radio && !radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (radio) {
        // The key of the current answer confirms an answer carried over from the last round.
        var confirm = row.querySelector("button.confirm");
        if (confirm) { confirm.click(); }
      }
      event.preventDefault();
    } else if (event.key === "j" || event.key === "k") {
      var next = list[index + (event.key === "j" ? 1 : -1)];
      if (next) { next.focus(); }
      event.preventDefault();
    }
  });
  // A saved row is swapped in whole: keep its evidence section open if it was, and keep the
  // keyboard focus where it was (the next field the user tabbed to), or on the row.
  var kept = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.detail.target;
    if (!row || !row.matches || !row.matches("form.item-row")) { kept = null; return; }
    var details = row.querySelector("details");
    var active = document.activeElement;
    kept = {
      id: row.id,
      open: Boolean(details && details.open),
      field: active && row.contains(active) && active.name && active.type !== "radio" ? active.name : null
    };
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    if (!kept) { return; }
    var fresh = document.getElementById(kept.id);
    if (fresh && fresh.matches("form.item-row")) {
      var details = fresh.querySelector("details");
      if (details && kept.open) { details.open = true; }
      var field = kept.field ? fresh.querySelector("[name='" + kept.field + "']") : null;
      (field || fresh).focus();
    }
    kept = null;
  });
})();

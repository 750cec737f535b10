// Assessment editor keyboard: 1–5 set the focused item's result, j/k move between items.
(function () {
  "use strict";
  function rows() { return Array.from(document.querySelectorAll("form.item-row")); }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.matches("textarea, input[type=text], input[type=url], input[type=date]")) { return; }
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
      }
      event.preventDefault();
    } else if (event.key === "j" || event.key === "k") {
      var next = list[index + (event.key === "j" ? 1 : -1)];
      if (next) { next.focus(); }
      event.preventDefault();
    }
  });
  // After HTMX swaps a saved row in, keep the keyboard focus on it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail.target;
    if (swapped && swapped.id) {
      var fresh = document.getElementById(swapped.id);
      if (fresh && fresh.matches("form.item-row")) { fresh.focus(); }
    }
  });
})();

// After htmx swaps in the page's new content, keep keyboard focus where the person acted: on
// a refusal's alert, else on what the change was about (data-focus: the objective's title or
// the "Recorded" status).
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.elt;
  if (!target || !target.querySelector) { return; }
  var focus = target.querySelector("[role=alert]") || target.querySelector("[data-focus]") ||
    target.querySelector("h3 a");
  if (focus) { focus.focus(); }
});

// After htmx replaces an objective in place, keep keyboard focus there: on its error if the
// change was refused, otherwise on its title link.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.elt;
  if (!target || !target.querySelector) { return; }
  var focus = target.querySelector("[role=alert]") || target.querySelector("h3 a");
  if (focus) { focus.focus(); }
});

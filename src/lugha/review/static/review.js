// Keyboard labelling: keys 1-9 pick the control marked data-key (a button saves at once, a radio is
// selected, a checkbox toggles). Typing in the comment box is left alone.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var t = e.target;
    if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"))) return;
    if (!/^[1-9]$/.test(e.key)) return;
    var el = document.querySelector('[data-key="' + e.key + '"]');
    if (!el) return;
    e.preventDefault();
    if (el.tagName === "BUTTON") el.click();
    else if (el.type === "radio") el.checked = true;
    else if (el.type === "checkbox") el.checked = !el.checked;
  });
  // One submit per page: a double press must not save twice (the server would update, not
  // duplicate, but the second answer could land on the next item's form).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset.sent) { e.preventDefault(); return; }
    f.dataset.sent = "1";
  });
})();

/* EDI gateway console: tabs and confirmations. Written for this console; no libraries.
   Without JavaScript every tab panel shows one below the other and forms submit directly. */
(function () {
  "use strict";
  function setupTabs(root) {
    var buttons = root.querySelectorAll("[data-tab]");
    function show(name, push) {
      buttons.forEach(function (b) {
        var on = b.getAttribute("data-tab") === name;
        b.classList.toggle("on", on);
        b.setAttribute("aria-selected", on ? "true" : "false");
        var panel = document.getElementById("tab-" + b.getAttribute("data-tab"));
        if (panel) { panel.hidden = !on; }
      });
      if (push && history.replaceState) { history.replaceState(null, "", "#" + name); }
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-tab"), true); });
    });
    var wanted = (location.hash || "").slice(1);
    var exists = Array.prototype.some.call(buttons, function (b) { return b.getAttribute("data-tab") === wanted; });
    if (buttons.length) { show(exists ? wanted : buttons[0].getAttribute("data-tab"), false); }
  }
  function setupBack() {
    // the error page's "Go back" (an event handler, not a javascript: URL, for the CSP)
    document.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (ev) { ev.preventDefault(); history.back(); });
    });
  }
  function setupConfirm() {
    document.addEventListener("click", function (ev) {
      var el = ev.target.closest("[data-confirm]");
      if (!el) { return; }
      var field = el.getAttribute("data-prompt");
      if (field) {
        var answer = window.prompt(el.getAttribute("data-confirm") + "\n\nReason (kept in the audit trail):", "");
        if (answer === null) { ev.preventDefault(); return; }
        var input = el.form && el.form.querySelector("[name='" + field + "']");
        if (input) { input.value = answer; }
      } else if (!window.confirm(el.getAttribute("data-confirm"))) {
        ev.preventDefault();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tabs]").forEach(setupTabs);
    setupConfirm();
    setupBack();
  });
})();

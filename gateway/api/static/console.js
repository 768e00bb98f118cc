/* EDI gateway console: tabs, confirmations and live regions. Written for this console; no
   libraries. Without JavaScript every tab panel shows one below the other, forms submit
   directly and pages show what was true when they loaded. */
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
  /* Live regions: every element with an id and data-live="SECONDS" is refreshed from the
     same URL at that interval (the server renders the page as usual; only the regions are
     swapped). Paused while the tab is hidden or the operator is typing in a region. */
  function setupLive() {
    var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live][id]"));
    if (!regions.length || !window.fetch || !window.DOMParser) { return; }
    var every = Math.max(2, Math.min.apply(null, regions.map(function (r) {
      return parseFloat(r.getAttribute("data-live")) || 5;
    })));
    var running = false;
    function busy() {
      var active = document.activeElement;
      return document.hidden || running ||
        (active && active.closest && active.closest("[data-live]") &&
         /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
    }
    function refresh() {
      if (busy()) { return; }
      running = true;
      fetch(location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } })
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html");
          regions.forEach(function (region) {
            var next = fresh.getElementById(region.id);
            if (next && next.innerHTML !== region.innerHTML) {
              region.innerHTML = next.innerHTML;
              region.setAttribute("data-refreshed", new Date().toISOString());
            }
          });
        })
        .catch(function () { /* offline for a moment: try again next time */ })
        .then(function () { running = false; });
    }
    window.setInterval(refresh, every * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tabs]").forEach(setupTabs);
    setupConfirm();
    setupBack();
    setupLive();
  });
})();

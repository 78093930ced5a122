// Countdowns that tick in the browser towards the instants the server rendered, and times
// re-written in the viewer's own time zone. The server stays the source of truth: every
// instant (the due, the warning point) comes from the page; this only counts towards them.
(function () {
  "use strict";

  function span(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + sec + "s";
    return sec + "s";
  }

  function tone(el, value) {
    var host = el.closest("[data-tone-host], tr");
    if (!host) return;
    ["tone-ok", "tone-warning", "tone-breached"].forEach(function (c) {
      host.classList.remove(c);
    });
    host.classList.add("tone-" + value);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      if (el.dataset.paused) return;
      var due = Date.parse(el.dataset.due);
      var warn = el.dataset.warn ? Date.parse(el.dataset.warn) : NaN;
      var left = due - now;
      el.textContent = left > 0 ? "in " + span(left) : "overdue by " + span(-left);
      tone(el, left <= 0 ? "breached" : !isNaN(warn) && now >= warn ? "warning" : "ok");
    });
  }

  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });

  function localise() {
    document.querySelectorAll("time[data-local]:not([data-localised])").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.textContent = format.format(at);
      el.setAttribute("data-localised", "");
    });
  }

  function refresh() {
    localise();
    tick();
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSwap", refresh);
  setInterval(tick, 1000);
})();

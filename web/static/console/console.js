// The console's shared script: instants in the viewer's own time zone, and the Alpine
// components the pages use by name (the CSP build of Alpine evaluates no inline code).
(function () {
  "use strict";

  var formatter = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });

  // <time datetime="2026-11-30T09:00:00Z">…</time>: shown in the viewer's zone, with the
  // exact instant (UTC) on hover. Elements marked data-keep keep the server's words.
  function localiseTimes(root) {
    var times = (root || document).querySelectorAll("time[datetime]:not([data-keep])");
    for (var i = 0; i < times.length; i++) {
      var element = times[i];
      var instant = new Date(element.getAttribute("datetime"));
      if (isNaN(instant.getTime()) || element.getAttribute("datetime").length <= 10) continue;
      element.textContent = formatter.format(instant);
      if (!element.title) element.title = instant.toISOString();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    localiseTimes(document);
  });
  // Parts htmx swaps in are localised too.
  document.addEventListener("htmx:afterSettle", function (event) {
    localiseTimes(event.target);
  });

  window.PledgeConsole = { localiseTimes: localiseTimes };
})();

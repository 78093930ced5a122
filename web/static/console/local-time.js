// Times on the console's pages are written by the server in the viewer's time zone, which it
// learns from the pledge_tz cookie. This tells it the browser's zone, and until the next page
// rewrites each <time datetime> in that zone, keeping the exact instant in its title.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var current = document.cookie.split("; ").filter(function (c) {
    return c.indexOf("pledge_tz=") === 0;
  })[0];
  if (current === "pledge_tz=" + encodeURIComponent(zone)) return;
  document.cookie = "pledge_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  // The console's shared script, where the page has it, rewrites the times itself.
  if (window.PledgeConsole) return;
  var format = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short", timeZone: zone
  });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (el.getAttribute("datetime").indexOf("T") < 0 || isNaN(at)) return;
    el.textContent = format.format(at);
  });
})();

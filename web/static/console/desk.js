// Re-write each <time datetime> of the complaints, releases and dashboard pages in the
// browser's own time zone; the server's text (UK time) stays where the script does not run.
// A deadline at midnight is the end of the day before, as the server writes it too.
(function () {
  "use strict";
  var zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
  var moment = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var day = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric"
  });
  function zoneName(at) {
    var part = zone.formatToParts(at).filter(function (p) { return p.type === "timeZoneName"; });
    return part.length ? part[0].value : "";
  }
  function localise() {
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var stamp = times[i].getAttribute("datetime");
      var at = new Date(stamp);
      if (isNaN(at.getTime()) || stamp.indexOf("T") < 0) {
        continue;
      }
      if (at.getHours() === 0 && at.getMinutes() === 0 && at.getSeconds() === 0) {
        var before = new Date(at.getTime() - 1000);
        times[i].textContent = "end of " + day.format(before) + " (" + zoneName(at) + ")";
      } else {
        times[i].textContent = moment.format(at);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();

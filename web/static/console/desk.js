// Re-write each <time datetime> of the complaints, releases and dashboard pages in the
// browser's own time zone; the server's text (UK time) stays where the script does not run.
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function localise() {
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var at = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(at.getTime()) && times[i].getAttribute("datetime").indexOf("T") > 0) {
        times[i].textContent = format.format(at);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();

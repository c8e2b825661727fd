// Optional: the kiosk works without it. It blocks a second tap while a screen is being sent and
// returns an idle screen to the welcome page without leaving it in the back history.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  var body = document.body, home = body.dataset.home, idle = Number(body.dataset.idle || 0);
  if (home && idle > 0) {
    var timer = window.setTimeout(function () { window.location.replace(home); }, idle * 1000);
    window.addEventListener("pagehide", function () { window.clearTimeout(timer); });
  }
  // A page brought back from the back-forward cache may belong to the previous person.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && home) { window.location.replace(home); }
  });
}());

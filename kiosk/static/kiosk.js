// Optional: the kiosk works without it (each screen then returns to the welcome page by its
// <meta http-equiv="refresh">). With it:
// - a second tap while a screen is being sent is blocked;
// - every touch, key or input starts the screen's idle time again, so a person typing a comment
//   slowly is never sent away mid-sentence;
// - what is being chosen or typed on a screen of a stored response is kept on the kiosk as it
//   goes (a "draft" post), and when the screen does time out, what it shows is posted once more
//   ("idle") and the response is closed as partial with it: nothing a person gave is lost;
// - the welcome page replaces a timed-out screen without leaving it in the back history.
(function () {
  "use strict";
  var body = document.body, home = body.dataset.home, idle = Number(body.dataset.idle || 0);
  var form = document.querySelector("form.survey");
  var DRAFT_DELAY = 1500;
  var leaving = false, idleTimer = null, draftTimer = null;

  document.addEventListener("submit", function (event) {
    var sent = event.target;
    if (sent.dataset.sent) { event.preventDefault(); return; }
    sent.dataset.sent = "1";
    leaving = true;
  });

  function post(what) {
    var data = new FormData(form);
    data.append(what, "1");
    // keepalive: the post is delivered even when the page is replaced right after.
    return window.fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin", keepalive: true
    });
  }

  function somethingGiven() {
    return Array.prototype.some.call(form.elements, function (el) {
      return ((el.type === "radio" || el.type === "checkbox") && el.checked) ||
        (el.tagName === "TEXTAREA" && el.value.trim() !== "");
    });
  }

  function keepDraft() {
    if (!form || !form.dataset.draft || leaving || draftTimer !== null) { return; }
    draftTimer = window.setTimeout(function () {
      draftTimer = null;
      if (!leaving) { post("draft").catch(function () {}); }
    }, DRAFT_DELAY);
  }

  function goHome() {
    if (leaving) { return; }
    leaving = true;
    var gone = false;
    var done = function () {
      if (!gone) { gone = true; window.location.replace(home); }
    };
    if (form && (form.dataset.draft || somethingGiven())) {
      post("idle").then(done, done);
      window.setTimeout(done, 3000);
    } else {
      done();
    }
  }

  function restartIdle() {
    if (!home || idle <= 0 || leaving) { return; }
    if (idleTimer !== null) { window.clearTimeout(idleTimer); }
    idleTimer = window.setTimeout(goHome, idle * 1000);
  }

  ["pointerdown", "touchstart", "keydown", "input", "change", "wheel"].forEach(function (name) {
    document.addEventListener(name, function () {
      restartIdle();
      if (name === "input" || name === "change") { keepDraft(); }
    }, { capture: true, passive: true });
  });
  restartIdle();
  window.addEventListener("pagehide", function () {
    if (idleTimer !== null) { window.clearTimeout(idleTimer); }
  });
  // A page brought back from the back-forward cache may belong to the previous person.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && home) { window.location.replace(home); }
  });
}());

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
  // "Listen": the clips of the screen's parts marked data-clip (question, then each answer...)
  // played in order, each part highlighted while it is read. Tapping a face still answers at
  // once: the page changes and the reading stops with it. With the staff page's "read each
  // screen aloud", the reading starts by itself.
  var listen = document.getElementById("listen"), voice = document.getElementById("voice");
  if (listen && voice) {
    var queue = [], current = null;
    var mark = function (el) {
      if (current) { current.classList.remove("speaking"); }
      current = el;
      if (el) { el.classList.add("speaking"); }
    };
    var next = function () {
      var part = queue.shift();
      mark(part || null);
      if (!part) { listen.setAttribute("aria-pressed", "false"); return; }
      voice.src = part.dataset.clip;
      var playing = voice.play();
      if (playing && playing.catch) { playing.catch(function () { queue = []; next(); }); }
    };
    voice.addEventListener("ended", next);
    voice.addEventListener("error", next);
    listen.addEventListener("click", function () {
      // The response records that its screens were listened to (the report by listen use).
      if (form && !form.querySelector("input[name=listened]")) {
        var used = document.createElement("input");
        used.type = "hidden"; used.name = "listened"; used.value = "1";
        form.appendChild(used);
      }
      voice.pause();
      queue = Array.prototype.slice.call(document.querySelectorAll("main [data-clip]"));
      listen.setAttribute("aria-pressed", "true");
      next();
    });
    if (body.dataset.readAloud) { listen.click(); }
  }
  // A page brought back from the back-forward cache may belong to the previous person.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && home) { window.location.replace(home); }
  });
}());

// Optional: every page works without it. Buttons marked data-print print the page; the
// Content-Security-Policy (script-src 'self') refuses inline handlers, so they are bound here.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });

  // A part of the page marked data-refresh="N" (an export being made) is asked for again every
  // N seconds and replaced in place while the new page still marks it so; the rest of the page,
  // and the keyboard's focus, stay as they are. Without this script it refreshes by <noscript>.
  var part = document.querySelector("[data-refresh][id]");
  if (!part || !window.fetch || !window.DOMParser) { return; }
  var every = Number(part.dataset.refresh) * 1000;
  function poll() {
    window.fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (reply) { return reply.text(); })
      .then(function (html) {
        var page = new window.DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(part.id);
        if (!fresh) { return; }
        part.replaceChildren.apply(part, Array.prototype.slice.call(fresh.childNodes));
        if (fresh.hasAttribute("data-refresh")) { window.setTimeout(poll, every); }
        else { part.removeAttribute("data-refresh"); }
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
}());

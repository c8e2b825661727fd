// Optional: every page works without it. Buttons marked data-print print the page; the
// Content-Security-Policy (script-src 'self') refuses inline handlers, so they are bound here.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
}());

// The slip page's print button, and the print dialog opened at once when the slip comes from the
// counter page (?print=1). A script file, not an inline handler: the pages' CSP allows no inline
// script.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  if (document.body.dataset.autoprint) {
    window.addEventListener("load", function () { window.print(); });
  }
}());

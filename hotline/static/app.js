// Progressive enhancement only: every page works without this file.
// On a phone the navigation starts folded behind its "Menü" button, so the page's own
// content is the first thing on the screen; without JavaScript it simply stays open.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 47.99rem)");
  document.querySelectorAll("details.menu").forEach(function (menu) {
    if (narrow.matches) {
      menu.open = false;
    }
  });
})();

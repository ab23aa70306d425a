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
  // Navigation groups: on a phone all open inside the menu; on a wide screen drop-downs,
  // one open at a time, closed by Escape (focus back on the heading) or a click elsewhere.
  var groups = Array.prototype.slice.call(document.querySelectorAll("li.group > details"));
  groups.forEach(function (group) {
    if (narrow.matches) {
      group.open = true;
      return;
    }
    group.addEventListener("toggle", function () {
      if (group.open) {
        groups.forEach(function (other) {
          if (other !== group) {
            other.open = false;
          }
        });
      }
    });
    group.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && group.open) {
        group.open = false;
        group.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (narrow.matches) {
      return;
    }
    groups.forEach(function (group) {
      if (group.open && !group.contains(event.target)) {
        group.open = false;
      }
    });
  });
})();

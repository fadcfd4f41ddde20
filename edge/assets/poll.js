// poll.js moves a waiting sign-in page on once something happened (a
// sign-in link confirmed in another browser). It reads the page in the
// background and reloads only when the page has stopped waiting, so a
// screen reader is not sent back to the top every few seconds. Without
// JavaScript the page's <noscript> refresh does the same job.
(function () {
  "use strict";
  var me = document.currentScript;
  var every = (parseInt(me && me.getAttribute("data-every"), 10) || 3) * 1000;
  // The page names this script by its content-hashed URL; a page that
  // still names it is still waiting.
  var src = (me && me.getAttribute("src")) || "/assets/poll.";
  function tick() {
    fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (t) {
        if (t && t.indexOf(src) < 0) {
          location.reload();
        } else {
          setTimeout(tick, every);
        }
      })
      .catch(function () { setTimeout(tick, every * 2); });
  }
  setTimeout(tick, every);
})();

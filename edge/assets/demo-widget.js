// demo-widget.js mounts the sign-in widget on the demo app's /demo/widget
// page, configured by the data- attributes of its own script element (no
// inline script). On success the demo's backend redeems the code
// (POST /demo/widget/callback, JSON, with the page's CSRF token) and the
// page goes to /demo, which shows the ID token's claims.
(function () {
  "use strict";
  var me = document.currentScript;
  var data = me.dataset;
  var element = document.getElementById("signin");
  var failed = document.getElementById("demo-widget-error");

  function fail(what) {
    if (window.console) console.warn("demo: sign-in failed:", what);
    failed.className = "lt-message lt-message-error";
    failed.textContent = data.failed;
  }

  if (!window.Lintel || !window.Lintel.mount) {
    fail("the widget's loader did not load");
    return;
  }
  Lintel.mount(element, {
    issuer: data.issuer,
    clientId: data.clientId,
    redirectUri: data.redirectUri,
    scopes: ["openid", "profile", "email"],
    locale: data.locale,
    onSuccess: function (r) {
      failed.textContent = "";
      fetch("/demo/widget/callback", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Lintel-CSRF": data.csrf },
        body: JSON.stringify({ code: r.code, codeVerifier: r.codeVerifier, nonce: r.nonce }),
      })
        .then(function (res) {
          if (res.status !== 204) throw new Error("HTTP " + res.status);
          location.assign("/demo");
        })
        .catch(fail);
    },
    onError: function (e) {
      fail(e && (e.error || e.message) || e);
    },
  });
})();

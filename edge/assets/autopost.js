// autopost.js sends on the form that carries a sign-in's answer to an
// app (a SAML Response for the app's assertion consumer service) as soon
// as the page loads. Without JavaScript the person presses the form's
// button, which does the same.
(function () {
  "use strict";
  function go() {
    var f = document.querySelector("form[data-autopost]");
    if (f) {
      f.submit();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", go);
  } else {
    go();
  }
})();

// passkey.js runs the WebAuthn ceremony of a sign-in step. The step's
// hidden field (data-webauthn) holds the options the server made; when its
// action's button is pressed (or, at identify, when the person picks a
// passkey from autofill) the browser's ceremony runs and the form is
// submitted with the credential's JSON in that field. Without WebAuthn the
// page says so and the step's other actions still work.
(function () {
  "use strict";
  var field = document.querySelector("input[data-webauthn]");
  if (!field) {
    return;
  }
  var form = field.form;
  var mode = field.getAttribute("data-webauthn");
  var action = field.getAttribute("data-action");
  var options;
  try {
    options = JSON.parse(field.getAttribute("data-options"));
  } catch (e) {
    return;
  }
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  var button = form && form.querySelector('button[name="action"][value="' + action + '"]');
  if (!supported) {
    var note = document.querySelector("[data-passkey-unsupported]");
    if (note && mode !== "conditional") {
      note.hidden = false;
    }
    if (button) {
      button.hidden = true;
    }
    return;
  }

  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }
  function b64url(buf) {
    if (!buf) {
      return undefined;
    }
    var b = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < b.length; i++) {
      s += String.fromCharCode(b[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creds(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: bytes(c.id), transports: c.transports };
    });
  }
  function publicKey() {
    var pk = Object.assign({}, options);
    pk.challenge = bytes(options.challenge);
    if (mode === "create") {
      pk.user = Object.assign({}, options.user, { id: bytes(options.user.id) });
      pk.excludeCredentials = creds(options.excludeCredentials);
    } else {
      pk.allowCredentials = creds(options.allowCredentials);
    }
    return pk;
  }
  function toJSON(c) {
    var r = c.response;
    var out = {
      id: c.id,
      rawId: b64url(c.rawId),
      type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: b64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = b64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = b64url(r.authenticatorData);
      out.response.signature = b64url(r.signature);
      out.response.userHandle = b64url(r.userHandle);
    }
    return JSON.stringify(out);
  }
  function submit(c) {
    field.value = c ? toJSON(c) : "";
    var a = document.createElement("input");
    a.type = "hidden";
    a.name = "action";
    a.value = action;
    form.appendChild(a);
    form.submit();
  }

  var pending = null;
  function run(mediation) {
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    var req = { publicKey: publicKey(), signal: pending.signal };
    var p;
    if (mode === "create") {
      p = navigator.credentials.create(req);
    } else {
      if (mediation) {
        req.mediation = mediation;
      }
      p = navigator.credentials.get(req);
    }
    return p.then(function (c) {
      if (c) {
        submit(c);
      }
    });
  }

  if (button) {
    button.addEventListener("click", function (ev) {
      ev.preventDefault();
      run().catch(function (err) {
        // Cancelled by the person (or replaced by another request): the
        // server hears nothing, they may try again or choose another way.
        // Any other failure (a passkey of another site, a related origin
        // not allowed) posts an empty answer so the step can say so.
        if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) {
          field.value = "";
          return;
        }
        submit(null);
      });
    });
  }
  if (mode === "conditional" && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (ok) {
        run("conditional").catch(function () {});
      }
    });
  }
})();

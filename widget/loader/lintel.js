/*! Lintel sign-in widget loader. Served by Lintel at /widget/lintel.js
 * with the asset manifest filled in; see docs/embedding.md.
 *
 * Lintel.mount(element, options) shows the current sign-in step, rendered
 * by the server, in an open shadow root of element, and drives the flow
 * with the server's HTML fragments until the WebAssembly widget has
 * loaded and takes the widget over. Nothing is added to the host
 * document but the shadow root, custom properties set on element from
 * options.theme, and the wasm_exec.js script the WebAssembly needs. No
 * eval, no inline style or script: it runs under a strict CSP and, when
 * the host page allows a "lintel" policy, under Trusted Types.
 */
(function () {
  "use strict";
  if (window.Lintel && window.Lintel.mount) {
    return; // loaded twice: the first copy keeps its widgets
  }

  // The server replaces the next comment and null with the manifest:
  // {"css": "/widget/lintel.<hash>.css", "runtime": …, "wasm": …}.
  var manifest = /*@lintel-manifest*/ null || {};

  var script = document.currentScript;
  var scriptBase = script && script.src ? script.src : location.href;
  var assetOrigin = new URL(scriptBase).origin;

  function assetURL(path) {
    return path ? new URL(path, scriptBase).href : "";
  }

  // Trusted Types: fragments come from the issuer's flow API over fetch
  // and scripts from the widget's own origin; nothing else goes through
  // the policy, which stays private to this closure.
  var policy = null;
  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    try {
      policy = window.trustedTypes.createPolicy("lintel", {
        createHTML: function (s) {
          return s;
        },
        createScriptURL: function (s) {
          var u = new URL(s, scriptBase);
          if (u.origin !== assetOrigin) {
            throw new TypeError("lintel: script URL outside the widget's origin");
          }
          return u.href;
        },
      });
    } catch (e) {
      policy = null; // the host's CSP does not allow the "lintel" policy
    }
  }

  function setHTML(el, html) {
    el.innerHTML = policy ? policy.createHTML(html) : html;
  }

  var widgets = []; // mounted widgets, in mount order
  var wasmAPI = null;
  var wasmLoading = false;

  function find(element) {
    for (var i = 0; i < widgets.length; i++) {
      if (widgets[i].element === element) return widgets[i];
    }
    return null;
  }

  function base64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function random() {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  function challenge(verifier) {
    return crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(verifier))
      .then(function (d) {
        return base64url(new Uint8Array(d));
      });
  }

  // serverOf returns the authorization server named in an issuer URL
  // ("https://login.acme.com/oauth2/staff" → "staff").
  function serverOf(issuer) {
    var m = /\/oauth2\/([^/]+)\/?$/.exec(new URL(issuer).pathname);
    return m ? decodeURIComponent(m[1]) : "default";
  }

  function mount(element, options) {
    if (!element || typeof element.attachShadow !== "function") {
      throw new TypeError("Lintel.mount: element must be an element");
    }
    var o = options || {};
    if (!o.issuer || !o.clientId || !o.redirectUri) {
      throw new TypeError("Lintel.mount: issuer, clientId and redirectUri are required");
    }
    if (find(element)) unmount(element);

    var shadow = element.shadowRoot || element.attachShadow({ mode: "open" });
    shadow.replaceChildren();
    if (manifest.css) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = assetURL(manifest.css);
      shadow.appendChild(link);
    }
    // The published look of the issuer's brand and this app: design
    // tokens only (custom properties on :host), which the theme option
    // below still overrides.
    var brand = document.createElement("link");
    brand.rel = "stylesheet";
    brand.href = new URL(
      "/branding/theme.css?client_id=" + encodeURIComponent(o.clientId) +
        (o.locale ? "&lang=" + encodeURIComponent(o.locale) : ""),
      o.issuer
    ).href;
    shadow.appendChild(brand);
    var root = document.createElement("div");
    root.className = "lt-widget";
    root.setAttribute("part", "root");
    if (o.locale) root.lang = o.locale;
    shadow.appendChild(root);

    var themed = [];
    var theme = o.theme || {};
    Object.keys(theme).forEach(function (k) {
      if (k.indexOf("--lt-") === 0) {
        element.style.setProperty(k, String(theme[k]));
        themed.push(k);
      }
    });

    var w = {
      element: element,
      options: o,
      root: root,
      themed: themed,
      origin: new URL(o.issuer).origin,
      flow: "",
      secret: "",
      step: "",
      mode: "html",
      busy: false,
      dead: false,
      detach: null,
      abort: typeof AbortController === "function" ? new AbortController() : null,
      verifier: random(),
      state: random(),
      nonce: random(),
    };
    widgets.push(w);
    element.dataset.lintelMode = "html";

    root.addEventListener("submit", function (e) {
      onSubmit(w, e);
    });
    root.addEventListener("click", function (e) {
      onClick(w, e);
    });
    start(w);
    return {
      element: element,
      unmount: function () {
        if (find(element) === w) unmount(element);
      },
    };
  }

  function unmount(element) {
    var w = find(element);
    if (!w) return;
    w.dead = true;
    widgets.splice(widgets.indexOf(w), 1);
    if (w.abort) w.abort.abort();
    if (w.detach) {
      try {
        w.detach();
      } catch (e) {
        /* the wasm side is gone already */
      }
    }
    w.themed.forEach(function (k) {
      element.style.removeProperty(k);
    });
    if (element.shadowRoot) element.shadowRoot.replaceChildren();
    delete element.dataset.lintelMode;
    delete element.dataset.lintelStep;
  }

  function request(w, path, body, secret) {
    var headers = { "Content-Type": "application/json", Accept: "text/html" };
    if (secret) headers["Lintel-Flow-Secret"] = secret;
    return fetch(w.origin + path, {
      method: body === null ? "GET" : "POST",
      headers: headers,
      body: body === null ? undefined : JSON.stringify(body),
      credentials: "include",
      mode: "cors",
      signal: w.abort ? w.abort.signal : undefined,
    });
  }

  function start(w) {
    var o = w.options;
    w.busy = true;
    challenge(w.verifier)
      .then(function (c) {
        var body = {
          client_id: o.clientId,
          redirect_uri: o.redirectUri,
          scope: (o.scopes || ["openid"]).join(" "),
          state: w.state,
          nonce: w.nonce,
          code_challenge: c,
          code_challenge_method: "S256",
        };
        if (o.locale) body.ui_locales = o.locale;
        if (o.prompt) body.prompt = o.prompt;
        if (o.loginHint) body.login_hint = o.loginHint;
        if (o.acrValues) body.acr_values = o.acrValues;
        var server = serverOf(o.issuer);
        if (server !== "default") body.authorization_server = server;
        return request(w, "/api/v1/flows", body, "");
      })
      .then(function (res) {
        return answer(w, res, false);
      })
      .catch(function (e) {
        network(w, e);
      });
  }

  // answer shows a flow API response: the step's fragment, or the error.
  function answer(w, res, moveFocus) {
    if (w.dead) return;
    if (!res.ok) {
      return res.text().then(function (t) {
        var err = {};
        try {
          err = JSON.parse(t);
        } catch (e) {
          /* not JSON: a proxy's page */
        }
        w.busy = false;
        fail(w, err.error || "server_error", err.message || "error.server", err);
      });
    }
    var h = res.headers;
    w.flow = h.get("Lintel-Flow-Id") || w.flow;
    w.secret = h.get("Lintel-Flow-Secret") || w.secret;
    var lang = h.get("Content-Language");
    var dir = h.get("Lintel-Flow-Dir");
    return res.text().then(function (html) {
      if (w.dead) return;
      w.busy = false;
      if (lang) w.root.lang = lang;
      if (dir) w.root.dir = dir;
      setHTML(w.root, html);
      setStep(w, h.get("Lintel-Flow-Step") || "");
      if (moveFocus) focus(w);
      if (w.step === "done") {
        finish(w, h.get("Lintel-Flow-Redirect") || "");
        return;
      }
      var hand = w.step === "redirect-idp" ? w.root.querySelector("button[formaction]") : null;
      if (hand) {
        handOver(w, hand.getAttribute("formaction"));
        return;
      }
      if (wasmAPI) attach(w);
      else loadWasm();
    });
  }

  function setStep(w, step) {
    w.step = step;
    w.element.dataset.lintelStep = step;
  }

  // focus moves focus after a step changed: to the first invalid field,
  // else to the heading. The first step takes no focus from the page.
  function focus(w) {
    var el = w.root.querySelector('[aria-invalid="true"]');
    if (!el) {
      el = w.root.querySelector("h1, h2");
      if (el) el.tabIndex = -1;
    }
    if (el) el.focus();
  }

  function onSubmit(w, e) {
    // The form's own action is the flow API: posting it natively would
    // take the host page away, whoever handles the submit.
    e.preventDefault();
    if (w.mode !== "html") return; // the WebAssembly widget handles it
    if (w.busy || !w.flow) return;
    var form = e.target;
    var submitter = e.submitter || null;
    var data;
    try {
      data = new FormData(form, submitter);
    } catch (err) {
      data = new FormData(form); // a browser without the submitter argument
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    if (submitter && submitter.hasAttribute("formaction")) {
      handOver(w, submitter.getAttribute("formaction"));
      return;
    }
    var action = submitter && submitter.value ? submitter.value : data.get("action");
    if (!action) {
      var b = form.querySelector('button[name="action"]');
      action = b ? b.value : "";
    }
    var values = {};
    data.forEach(function (v, k) {
      if (k === "csrf" || k === "flow_secret" || k === "action" || typeof v !== "string") return;
      if (!Object.prototype.hasOwnProperty.call(values, k)) values[k] = v;
    });
    send(w, { action: action, values: values });
  }

  // onClick follows the fragment's links back to the flow itself (a GET
  // action: the step read afresh) without leaving the host page.
  function onClick(w, e) {
    if (w.mode !== "html") return;
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || !w.flow || a.href !== w.origin + "/api/v1/flows/" + w.flow) return;
    e.preventDefault();
    if (w.busy) return;
    w.busy = true;
    request(w, "/api/v1/flows/" + encodeURIComponent(w.flow), null, w.secret)
      .then(function (res) {
        return answer(w, res, true);
      })
      .catch(function (err) {
        network(w, err);
      });
  }

  // handOver sends the whole page to Lintel's page at url (formaction,
  // set only on a redirect-idp step's hand-over to an identity provider)
  // by a POST carrying the flow secret, never in a URL. The sign-in ends
  // at the redirect URI, for handleRedirect: the transaction is saved
  // first, and without it the page stays.
  function handOver(w, url) {
    if (!save(w)) {
      fail(w, "storage_unavailable", "error.server");
      return;
    }
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    form.target = "_top";
    form.hidden = true;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "flow_secret";
    input.value = w.secret;
    form.appendChild(input);
    (document.body || document.documentElement).appendChild(form);
    form.submit();
  }

  // A transaction is what redeeming a code needs after a hand-over took
  // the page away: saved in sessionStorage (the app's origin's, this
  // tab's; never in a URL) under txPrefix + state, used once, for at most
  // txMaxAge milliseconds.
  var txPrefix = "lintel.tx.";
  var txMaxAge = 10 * 60 * 1000;

  // save stores w's transaction, dropping this tab's expired ones, and
  // reports whether it could.
  function save(w) {
    var o = w.options;
    var now = Date.now();
    try {
      eachTx(function (k, t) {
        if (!t || !(now - t.created <= txMaxAge)) sessionStorage.removeItem(k);
      });
      sessionStorage.setItem(
        txPrefix + w.state,
        JSON.stringify({
          verifier: w.verifier,
          state: w.state,
          nonce: w.nonce,
          clientId: o.clientId,
          issuer: o.issuer,
          redirectUri: o.redirectUri,
          created: now,
        })
      );
      return true;
    } catch (e) {
      if (window.console) console.warn("lintel: sessionStorage refused the sign-in's transaction:", e);
      return false;
    }
  }

  // take returns the transaction saved for state, or null, and removes
  // every one this tab saved: a redirect ends the tab's sign-in, so
  // nothing stays stored whatever its outcome, and no state works twice.
  function take(state) {
    var found = null;
    try {
      eachTx(function (k, t) {
        if (k === txPrefix + state) found = t;
        sessionStorage.removeItem(k);
      });
    } catch (e) {
      /* no storage: nothing was saved */
    }
    return found;
  }

  // eachTx calls fn with the key and parsed value (null if unreadable) of
  // every saved transaction; fn may remove it.
  function eachTx(fn) {
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var k = sessionStorage.key(i);
      if (!k || k.indexOf(txPrefix) !== 0) continue;
      var t = null;
      try {
        t = JSON.parse(sessionStorage.getItem(k));
      } catch (e) {
        /* not ours to read: removed like an expired one */
      }
      fn(k, t && typeof t === "object" ? t : null);
    }
  }

  // The WebAssembly widget hands over by itself, with a form like
  // handOver's. submit() fires no submit event, but it does fire
  // formdata, synchronously, before the page leaves: the moment to save
  // the transaction of the widget whose secret the form carries.
  document.addEventListener(
    "formdata",
    function (e) {
      var form = e.target;
      var secret = e.formData ? e.formData.get("flow_secret") : null;
      if (!secret || form.target !== "_top" || form.method !== "post") return;
      widgets.forEach(function (w) {
        if (w.mode === "wasm" && w.secret === secret && new URL(form.action).origin === w.origin) save(w);
      });
    },
    true
  );

  function send(w, body) {
    w.busy = true;
    request(w, "/api/v1/flows/" + encodeURIComponent(w.flow), body, w.secret)
      .then(function (res) {
        return answer(w, res, true);
      })
      .catch(function (err) {
        network(w, err);
      });
  }

  function network(w, e) {
    if (w.dead || (e && e.name === "AbortError")) return;
    w.busy = false;
    fail(w, "network_error", "error.server", e);
  }

  // finish ends the flow at its redirect to the client: the code goes to
  // onSuccess with what exchanging it needs, an OAuth error to onError.
  function finish(w, redirect) {
    var o = w.options;
    var q;
    try {
      q = new URL(redirect).searchParams;
    } catch (e) {
      fail(w, "server_error", "error.server");
      return;
    }
    var r = outcome(w, o, q);
    if (r.error && r.error.message) fail(w, r.error.error, r.error.message);
    else if (r.error) report(w, r.error);
    else if (typeof o.onSuccess === "function") o.onSuccess(r.success);
  }

  // outcome reads the authorization response q to the transaction t (the
  // verifier, state and nonce a mount made) of the app of options o:
  // {success} for onSuccess, or {error} for onError, whose message, when
  // set, is the widget's to show. finish and handleRedirect share it.
  function outcome(t, o, q) {
    if (q.get("error")) {
      return {
        error: { error: q.get("error"), errorDescription: q.get("error_description") || "", state: q.get("state") || "" },
      };
    }
    if (q.get("state") !== t.state) {
      return { error: { error: "state_mismatch", message: "error.server", errorDescription: "the response's state is not this sign-in's" } };
    }
    // Lintel always sends iss (RFC 9207): one missing is refused too.
    if (q.get("iss") !== o.issuer.replace(/\/$/, "")) {
      return { error: { error: "issuer_mismatch", message: "error.server", errorDescription: "the response's iss is not the issuer" } };
    }
    if (!q.get("code")) {
      return { error: { error: "server_error", message: "error.server", errorDescription: "the response carries no code" } };
    }
    return {
      success: {
        code: q.get("code"),
        state: t.state,
        iss: q.get("iss"),
        codeVerifier: t.verifier,
        redirectUri: o.redirectUri,
        nonce: t.nonce,
      },
    };
  }

  // handleRedirect ends, on the page at the redirect URI, a sign-in that
  // a hand-over to an identity provider took away from the widget's page:
  // it reads the authorization response in the address, takes the
  // transaction handOver saved for its state (once: none is left stored
  // after), removes the response from the address bar and calls onSuccess
  // with what mount's onSuccess gets, or onError. The promise resolves to
  // that result, or to null after an error.
  function handleRedirect(options) {
    var o = options || {};
    if (!o.issuer || !o.clientId || !o.redirectUri) {
      throw new TypeError("Lintel.handleRedirect: issuer, clientId and redirectUri are required");
    }
    var url = new URL(location.href);
    var q = new URLSearchParams(url.search);
    var t = take(q.get("state") || "");
    ["code", "state", "iss", "error", "error_description", "error_uri"].forEach(function (k) {
      url.searchParams.delete(k);
    });
    if (url.href !== location.href) history.replaceState(history.state, "", url.href);

    var r;
    if (!t || t.clientId !== o.clientId || t.issuer !== o.issuer || t.redirectUri !== o.redirectUri) {
      r = {
        error: {
          error: "unknown_state",
          errorDescription: "no sign-in of this tab waits for this response (already used, or started elsewhere)",
          state: q.get("state") || "",
        },
      };
    } else if (!(Date.now() - t.created <= txMaxAge)) {
      r = { error: { error: "transaction_expired", errorDescription: "the sign-in started more than 10 minutes ago", state: t.state } };
    } else {
      r = outcome(t, o, q);
    }
    if (r.error) {
      delete r.error.message; // no widget here showed one
      if (typeof o.onError === "function") o.onError(r.error);
      return Promise.resolve(null);
    }
    if (typeof o.onSuccess === "function") o.onSuccess(r.success);
    return Promise.resolve(r.success);
  }

  // fail shows an error in the widget, translated with the server's
  // catalog, and tells onError.
  function fail(w, code, messageID, detail) {
    var p = document.createElement("p");
    p.className = "lt-message lt-message-error";
    p.setAttribute("role", "alert");
    p.setAttribute("part", "message");
    p.textContent = messageID;
    var current = w.root.querySelector(".lt-flow");
    if (current) current.insertBefore(p, current.firstChild);
    else w.root.replaceChildren(p);
    translate(w, messageID).then(function (text) {
      if (text) p.textContent = text;
    });
    report(w, { error: code, message: messageID, detail: detail });
  }

  function report(w, err) {
    if (w.dead) return;
    if (typeof w.options.onError === "function") w.options.onError(err);
  }

  var catalogs = {};

  function translate(w, id) {
    var lang = w.root.lang || w.options.locale || navigator.language || "en";
    if (!catalogs[lang]) {
      catalogs[lang] = fetch(w.origin + "/api/v1/locales/" + encodeURIComponent(lang), {
        mode: "cors",
        credentials: "omit",
      })
        .then(function (res) {
          return res.ok ? res.json() : {};
        })
        .catch(function () {
          return {};
        });
    }
    return catalogs[lang].then(function (c) {
      var m = c && c.messages;
      return m && typeof m[id] === "string" ? m[id].replace(/\{\{/g, "{") : "";
    });
  }

  // loadWasm fetches the WebAssembly widget once, after the first step
  // showed. Without it (not built, blocked by the host's CSP, no
  // WebAssembly) every widget keeps working with fragments.
  function loadWasm() {
    if (wasmLoading || !manifest.wasm || !manifest.runtime) return;
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiateStreaming !== "function") return;
    wasmLoading = true;
    var s = document.createElement("script");
    var src = assetURL(manifest.runtime);
    s.src = policy ? policy.createScriptURL(src) : src;
    s.onload = function () {
      s.remove(); // it defined Go; the host's document keeps nothing of it
      if (typeof window.Go !== "function") return;
      window.Lintel._ready = ready;
      var go = new window.Go();
      WebAssembly.instantiateStreaming(fetch(assetURL(manifest.wasm), { mode: "cors", credentials: "omit" }), go.importObject)
        .then(function (r) {
          return go.run(r.instance);
        })
        .then(exited, function (e) {
          if (window.console) console.warn("lintel: the widget stays server-rendered:", e);
          exited();
        });
    };
    s.onerror = function () {
      s.remove();
      if (window.console) console.warn("lintel: wasm_exec.js did not load; the widget stays server-rendered");
    };
    document.head.appendChild(s);
  }

  // exited runs when the WebAssembly's program ended (it never should; a
  // panic does): its widgets go back to server-rendered steps, read
  // afresh from the flow.
  function exited() {
    wasmAPI = null;
    widgets.slice().forEach(function (w) {
      if (w.mode !== "wasm") return;
      if (window.console) console.warn("lintel: the WebAssembly stopped; the widget is server-rendered again");
      w.mode = "html";
      w.detach = null;
      w.element.dataset.lintelMode = "html";
      w.busy = true;
      request(w, "/api/v1/flows/" + encodeURIComponent(w.flow), null, w.secret)
        .then(function (res) {
          return answer(w, res, false);
        })
        .catch(function (err) {
          network(w, err);
        });
    });
  }

  // ready is called by the WebAssembly's main with its API.
  function ready(api) {
    wasmAPI = api;
    widgets.slice().forEach(attach);
  }

  // attach hands a widget to the WebAssembly, between requests, once its
  // flow exists; from then on it renders every step.
  function attach(w) {
    if (!wasmAPI || w.mode !== "html" || w.busy || w.dead || !w.flow || w.step === "done") return;
    var handle = {
      root: w.root,
      base: w.origin,
      flow: w.flow,
      secret: w.secret,
      locale: w.root.lang || w.options.locale || "",
      done: function (redirect) {
        setStep(w, "done");
        finish(w, redirect);
      },
      error: function (code, messageID) {
        fail(w, code, messageID);
      },
      onstep: function (step) {
        setStep(w, step);
        // data-lintel-mode says "wasm" once the WebAssembly has rendered.
        w.element.dataset.lintelMode = "wasm";
      },
    };
    try {
      var r = wasmAPI.attach(handle);
      if (typeof r === "function") w.detach = r;
      else if (r && typeof r.detach === "function") w.detach = r.detach.bind(r);
    } catch (e) {
      if (window.console) console.warn("lintel: the widget stays server-rendered:", e);
      return;
    }
    w.mode = "wasm";
  }

  window.Lintel = { mount: mount, unmount: unmount, handleRedirect: handleRedirect, version: 1 };
})();

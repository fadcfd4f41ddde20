// studio.js runs the designer studio (GET /studio): it talks to the
// management API on this origin with the token the designer typed, edits a
// theme's draft with a live preview, and publishes or rolls back. Plain
// ES2020 under a strict CSP: no framework, no eval, and no markup built
// from strings: every node is made with createElement and filled with
// textContent, so nothing the API returns can become markup.
(() => {
  "use strict";

  const API = "/api/v1/mgmt";
  // The tenant and token live in this tab's sessionStorage only: closing
  // the tab forgets them, and no other tab or later visit sees them.
  const KEY_TENANT = "lintel-studio-tenant";
  const KEY_TOKEN = "lintel-studio-token";
  const SAVE_DELAY = 400; // ms after the last change before the draft is saved
  const TICKET_MARGIN = 15000; // ms before expiry a preview ticket is renewed

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  const state = {
    tenant: "", token: "", tenantID: "",
    brands: [], apps: [],
    scope: "", theme: null, doc: null, preview: null,
    timer: 0, saving: null, dirty: false, logoURL: "",
  };

  // el builds an element: attrs are set as attributes (never a style or
  // an event handler), children are nodes or strings (text).
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null && v !== false) n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c !== undefined && c !== null) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  function say(msg) { $("st-status").textContent = msg; }
  function alarm(msg) { $("st-alert").textContent = msg; }

  // APIError is a refused request: status and the problem+json body.
  class APIError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(method, path, body, contentType) {
    const headers = { Authorization: "Bearer " + state.token, Accept: "application/json, application/problem+json" };
    let payload;
    if (body instanceof Blob) {
      payload = body;
      headers["Content-Type"] = contentType || "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const r = await fetch(API + path, { method, headers, body: payload, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
    const text = await r.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = null; }
    }
    if (!r.ok) throw new APIError(r.status, data);
    return data;
  }

  // listAll follows a list's next cursors ({"items": [...], "next": "..."}).
  async function listAll(path) {
    const out = [];
    let after = "";
    for (let i = 0; i < 50; i++) {
      const q = new URLSearchParams({ limit: "200" });
      if (after) q.set("after", after);
      const page = await api("GET", path + "?" + q);
      out.push(...((page && page.items) || []));
      after = (page && page.next) || "";
      if (!after) break;
    }
    return out;
  }

  // report tells the designer what went wrong, never echoing the token.
  function report(e, doing) {
    let msg;
    if (e instanceof APIError) {
      if (e.status === 401) {
        signOut("The management token was refused (expired or revoked). Sign in again.");
        return;
      }
      msg = e.status === 403 ? "This token lacks the scope to do that." : e.message;
    } else {
      msg = "The server could not be reached.";
    }
    alarm(doing + ": " + msg);
    say(doing + " failed.");
  }

  const tenantPath = () => "/tenants/" + enc(state.tenantID);
  const themePath = () => tenantPath() + "/themes/" + enc(state.scope);

  // ---- signing in and out

  async function connect() {
    alarm("");
    say("Opening tenant…");
    try {
      const t = await api("GET", "/tenants/" + enc(state.tenant));
      state.tenantID = t.id;
      const [brands, apps] = await Promise.all([listAll(tenantPath() + "/brands"), listAll(tenantPath() + "/apps")]);
      state.brands = brands;
      state.apps = apps;
      $("st-who").textContent = "Tenant: " + t.name + (t.slug ? " (" + t.slug + ")" : "");
      fillScopes(t);
      $("st-connect").hidden = true;
      $("st-work").hidden = false;
      $("st-signout").hidden = false;
      $("st-scope-select").focus();
      await loadScope();
    } catch (e) {
      report(e, "Opening the tenant");
    }
  }

  function signOut(why) {
    sessionStorage.removeItem(KEY_TENANT);
    sessionStorage.removeItem(KEY_TOKEN);
    clearTimeout(state.timer);
    Object.assign(state, { tenant: "", token: "", tenantID: "", scope: "", theme: null, doc: null, preview: null, dirty: false });
    $("st-token").value = "";
    $("st-who").textContent = "";
    $("st-work").hidden = true;
    $("st-signout").hidden = true;
    $("st-connect").hidden = false;
    $("st-screens").replaceChildren();
    $("st-emails").replaceChildren();
    alarm(why || "");
    say(why ? "" : "Signed out; the token is forgotten.");
    $("st-tenant").focus();
  }

  function fillScopes(t) {
    const scope = $("st-scope-select");
    const brand = $("st-as-brand");
    const app = $("st-as-app");
    scope.replaceChildren(el("option", { value: t.id }, "Tenant: " + t.name));
    brand.replaceChildren(el("option", { value: "" }, "No brand"));
    app.replaceChildren(el("option", { value: "" }, "No app"));
    if (state.brands.length) {
      scope.append(el("optgroup", { label: "Brands" }, ...state.brands.map((b) => el("option", { value: b.id, "data-type": "brand" }, "Brand: " + b.name))));
      brand.append(...state.brands.map((b) => el("option", { value: b.id }, b.name)));
    }
    if (state.apps.length) {
      scope.append(el("optgroup", { label: "Apps" }, ...state.apps.map((a) => el("option", { value: a.id, "data-type": "app" }, "App: " + a.name))));
      app.append(...state.apps.map((a) => el("option", { value: a.id }, a.name)));
    }
  }

  // ---- the theme of a scope

  async function loadScope() {
    await flush();
    const sel = $("st-scope-select");
    state.scope = sel.value;
    // Editing a brand's or an app's theme previews as that brand or app.
    const type = sel.selectedOptions[0] && sel.selectedOptions[0].getAttribute("data-type");
    if (type === "brand") $("st-as-brand").value = state.scope;
    if (type === "app") $("st-as-app").value = state.scope;
    state.preview = null;
    say("Loading the theme…");
    try {
      state.theme = await api("GET", themePath());
      const v = state.theme.draft || state.theme.live;
      state.doc = v && v.document ? structuredClone(v.document) : {};
      fillEditor();
      clearErrors();
      showContrast(v ? v.contrast : []);
      showState();
      await refreshPreview(true);
      await loadVersions();
      say("Theme loaded.");
    } catch (e) {
      report(e, "Loading the theme");
    }
  }

  function showState() {
    const th = state.theme || {};
    const parts = [];
    parts.push(th.live ? "Live: version " + th.live.number + (th.live.published_at ? ", published " + when(th.live.published_at) : "") : "Nothing published at this level yet.");
    parts.push(th.draft ? "Draft: version " + th.draft.number + ", saved " + when(th.draft.created_at) + "." : "No draft: change a token to start one.");
    $("st-state").textContent = parts.join(" ");
    $("st-publish-btn").disabled = !th.draft;
  }

  function when(t) {
    const d = new Date(t);
    return isNaN(d) ? String(t) : d.toLocaleString("en");
  }

  // ---- the editor

  const controls = () => Array.from(document.querySelectorAll("[data-token]"));
  const picker = (name) => $("tok-" + name + "-pick");

  // fullHex turns "#abc" into "#aabbcc" for the colour picker, which
  // shows only #rrggbb; anything else is not a colour it can show.
  function fullHex(v) {
    const s = String(v || "").trim().toLowerCase();
    if (/^#[0-9a-f]{6}$/.test(s)) return s;
    if (/^#[0-9a-f]{3}$/.test(s)) return "#" + s[1] + s[1] + s[2] + s[2] + s[3] + s[3];
    return "";
  }

  function fillEditor() {
    const tokens = state.doc.tokens || {};
    $("st-base").value = state.doc.base || "";
    for (const c of controls()) {
      c.value = tokens[c.dataset.token] || "";
    }
    showDefaults();
  }

  // showDefaults shows the base theme's values where nothing is set.
  function showDefaults() {
    const base = $("st-base").value || "light";
    for (const c of controls()) {
      const def = c.getAttribute("data-default-" + base) || "";
      if (c.tagName === "SELECT") {
        c.options[0].textContent = def ? "Inherit (" + def + " in " + base + ")" : "Inherit";
      } else if (c.dataset.kind !== "asset") {
        c.placeholder = def;
      }
      const p = picker(c.dataset.token);
      if (p) p.value = fullHex(c.value) || fullHex(def) || "#000000";
    }
  }

  // readEditor puts the controls' values in the document; an empty one
  // drops the token, which then inherits from the level above.
  function readEditor() {
    const tokens = Object.assign({}, state.doc.tokens || {});
    for (const c of controls()) {
      const v = c.value.trim();
      if (v) tokens[c.dataset.token] = v;
      else delete tokens[c.dataset.token];
    }
    state.doc.tokens = tokens;
    const base = $("st-base").value;
    if (base) state.doc.base = base;
    else delete state.doc.base;
  }

  function changed() {
    state.dirty = true;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => { state.timer = 0; save(); }, SAVE_DELAY);
  }

  // flush saves at once what is waiting for the debounce, and waits for a
  // save under way, so that publishing or switching scope loses nothing.
  async function flush() {
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = 0;
      await save();
    }
    while (state.saving) await state.saving;
  }

  async function save() {
    if (!state.theme) return;
    if (state.saving) {
      await state.saving;
      if (!state.dirty) return;
    }
    state.dirty = false;
    readEditor();
    say("Saving the draft…");
    const mine = (async () => {
      try {
        const v = await api("PUT", themePath() + "/draft", state.doc);
        if (!state.theme) return; // signed out meanwhile
        state.theme.draft = v;
        clearErrors();
        showContrast(v.contrast);
        showState();
        say("Draft saved as version " + v.number + ".");
        await refreshPreview(false);
      } catch (e) {
        if (e instanceof APIError && (e.status === 422 || e.status === 400) && Array.isArray(e.problem.errors)) {
          showErrors(e.problem.errors);
          say("Not saved: " + e.problem.errors.length + " field(s) need fixing.");
        } else {
          report(e, "Saving the draft");
        }
      }
    })();
    state.saving = mine;
    try { await mine; } finally { if (state.saving === mine) state.saving = null; }
  }

  function clearErrors() {
    alarm("");
    for (const p of document.querySelectorAll("[data-error-for]")) p.textContent = "";
    for (const c of document.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  }

  // showErrors puts each problem next to its field ("body.tokens.radius");
  // one without a field of the editor goes under the editor, named.
  function showErrors(errors) {
    clearErrors();
    const slots = new Map();
    for (const p of document.querySelectorAll("[data-error-for]")) slots.set(p.getAttribute("data-error-for"), p);
    for (const e of errors) {
      const loc = String(e.location || "").replace(/^body\.?/, "");
      const slot = slots.get(loc);
      const msg = String(e.message || "is invalid");
      if (slot && loc) {
        slot.textContent = (slot.textContent ? slot.textContent + " " : "") + msg;
        const input = loc === "base" ? $("st-base") : $("tok-" + loc.slice("tokens.".length));
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        const general = slots.get("");
        general.textContent = (general.textContent ? general.textContent + " " : "") + (loc || "document") + ": " + msg;
      }
    }
  }

  function onEditorInput(ev) {
    const t = ev.target;
    if (t.dataset.pick) {
      $("tok-" + t.dataset.pick).value = t.value;
    } else if (t.dataset.kind === "color") {
      const hex = fullHex(t.value);
      if (hex) picker(t.dataset.token).value = hex;
    } else if (t.id === "st-base") {
      showDefaults();
    }
    changed();
  }

  function onEditorClick(ev) {
    const name = ev.target.closest("[data-clear]") && ev.target.closest("[data-clear]").dataset.clear;
    if (!name) return;
    $("tok-" + name).value = "";
    say(name + " removed; saving…");
    changed();
  }

  // ---- the preview

  function sameOrigin(u) {
    try { return new URL(u, location.href).origin === location.origin; } catch (_) { return false; }
  }

  // refreshPreview asks for new preview URLs when forced (another scope,
  // brand, app or locale) or when the ticket is about to expire, and
  // otherwise reloads the frames it has.
  async function refreshPreview(force) {
    if (!state.theme || !state.theme.draft) {
      const note = el("p", { class: "st-help" }, "No draft to preview yet.");
      $("st-screens").replaceChildren(note);
      $("st-emails").replaceChildren();
      return;
    }
    const p = state.preview;
    if (!force && p && Date.parse(p.expires_at) - Date.now() > TICKET_MARGIN) {
      reloadFrames();
      return;
    }
    const q = new URLSearchParams({ version: "draft", brand: $("st-as-brand").value, app: $("st-as-app").value, locale: $("st-locale").value });
    try {
      state.preview = await api("GET", themePath() + "/preview?" + q);
      showFrames();
    } catch (e) {
      report(e, "Loading the preview");
    }
  }

  function frame(kind, name, url) {
    // sandbox="" runs no script and gives the page an opaque origin: a
    // draft's page template cannot reach the studio or its token.
    const f = el("iframe", { src: url, sandbox: "", title: kind + ": " + name, loading: "lazy", referrerpolicy: "no-referrer" });
    return el("figure", {}, el("figcaption", {}, name), f);
  }

  function showFrames() {
    const p = state.preview || {};
    const screens = (p.screens || []).filter((s) => sameOrigin(s.url)).map((s) => frame("Screen", s.name, s.url));
    const emails = (p.emails || []).filter((m) => sameOrigin(m.url)).map((m) => frame("Email", m.kind, m.url));
    $("st-screens").replaceChildren(...screens);
    $("st-emails").replaceChildren(...emails);
  }

  // reloadFrames replaces each frame with a copy: a sandboxed frame's
  // window cannot be told to reload, and a new element always loads.
  function reloadFrames() {
    for (const f of document.querySelectorAll("#st-preview iframe")) f.replaceWith(f.cloneNode(false));
  }

  // ---- the logo

  async function upload() {
    const file = $("st-logo-file").files[0];
    if (!file) return;
    say("Uploading the logo…");
    try {
      const res = await api("POST", tenantPath() + "/theme-assets", file, file.type || "application/octet-stream");
      showLogo(res, file);
      say("Logo uploaded: " + (res.proposals || []).length + " suggestion(s).");
    } catch (e) {
      report(e, "Uploading the logo");
    }
  }

  function swatch(hex) {
    const s = el("span", { class: "st-swatch", "aria-hidden": "true" });
    // The CSSOM is not an inline style attribute: style-src 'self' allows it.
    s.style.backgroundColor = fullHex(hex) || "transparent";
    return s;
  }

  function showLogo(res, file) {
    if (state.logoURL) URL.revokeObjectURL(state.logoURL);
    let src = res.url;
    if (!src || !sameOrigin(src)) src = state.logoURL = URL.createObjectURL(file);
    const out = [el("img", { class: "st-logo-img", src, alt: "The uploaded logo" })];
    const use = el("button", { type: "button", class: "st-secondary" }, "Use as logo without changing colours");
    use.addEventListener("click", () => apply({ name: "logo only", tokens: {} }, res.id));
    out.push(use);
    if ((res.palette || []).length) {
      out.push(el("h3", {}, "Colours in the logo"));
      out.push(el("ul", { class: "st-swatches" }, ...res.palette.map((c) => el("li", {}, swatch(c), c))));
    }
    const props = (res.proposals || []).map((p) => {
      const fails = (p.contrast || []).filter((c) => !c.pass).length;
      const btn = el("button", { type: "button" }, "Apply the " + p.name + " suggestion");
      btn.addEventListener("click", () => apply(p, res.id));
      const tokens = Object.entries(p.tokens || {}).map(([k, v]) => el("li", {}, swatch(v), k + ": " + v));
      return el("div", { class: "st-proposal" },
        el("h3", {}, "Suggestion: " + p.name),
        el("ul", { class: "st-swatches" }, ...tokens),
        el("p", { class: "st-help" }, fails ? fails + " contrast pair(s) fail AA" : "Every contrast pair passes AA"),
        btn);
    });
    if (props.length) out.push(el("div", { class: "st-proposals" }, ...props));
    $("st-logo-result").replaceChildren(...out);
  }

  // apply merges a suggestion's tokens into the editor and makes the
  // uploaded file the logo, then saves.
  function apply(p, assetID) {
    for (const [k, v] of Object.entries(p.tokens || {})) {
      const c = $("tok-" + k);
      if (c) c.value = v;
    }
    const logo = $("tok-logo");
    if (logo && assetID) logo.value = assetID;
    showDefaults();
    say("Applied " + p.name + "; saving…");
    changed();
  }

  // ---- contrast, publishing and versions

  function showContrast(list) {
    list = list || [];
    const rows = list.map((c) => el("tr", {},
      el("td", {}, c.foreground), el("td", {}, c.background),
      el("td", {}, c.use + (c.why ? ": " + c.why : "")), el("td", {}, c.locale || "all"),
      el("td", {}, Number(c.ratio).toFixed(2) + ":1"), el("td", {}, c.min + ":1"),
      el("td", { class: c.pass ? "st-pass" : "st-fail" }, c.pass ? "Pass" : "Fail")));
    $("st-contrast-rows").replaceChildren(...rows);
    const fails = list.filter((c) => !c.pass).length;
    $("st-contrast-summary").textContent = !list.length ? "No pairs checked yet." :
      fails ? fails + " of " + list.length + " pairs fail WCAG AA." : "All " + list.length + " pairs pass WCAG AA.";
  }

  async function publish(override) {
    const reason = $("st-reason").value.trim();
    if (override && !reason) {
      $("st-reason").setAttribute("aria-invalid", "true");
      $("st-reason").focus();
      say("Give a reason to publish despite the contrast failures.");
      return;
    }
    await flush();
    say("Publishing…");
    try {
      const v = await api("POST", themePath() + "/draft/publish", { override_contrast: !!override, reason: override ? reason : "" });
      $("st-override").hidden = true;
      $("st-reason").value = "";
      $("st-reason").removeAttribute("aria-invalid");
      await loadScope();
      say("Published version " + v.number + ".");
    } catch (e) {
      if (e instanceof APIError && e.status === 422 && Array.isArray(e.problem.contrast)) {
        const bad = e.problem.contrast.filter((c) => !c.pass);
        $("st-failures").replaceChildren(...bad.map((c) => el("li", {},
          c.foreground + " on " + c.background + (c.locale ? " (" + c.locale + ")" : "") + ": " +
          Number(c.ratio).toFixed(2) + ":1, needs " + c.min + ":1" + (c.why ? " — " + c.why : ""))));
        $("st-override").hidden = false;
        $("st-reason").focus();
        say("Not published: " + bad.length + " pair(s) fail WCAG AA.");
      } else {
        report(e, "Publishing");
      }
    }
  }

  async function loadVersions() {
    const res = await api("GET", themePath() + "/versions");
    const list = Array.isArray(res) ? res : (res && res.items) || [];
    const live = state.theme && state.theme.live ? state.theme.live.number : -1;
    const items = list.map((v) => {
      const label = "Version " + v.number + " — " + v.state + (v.published_at ? ", published " + when(v.published_at) : ", created " + when(v.created_at)) +
        (v.number === live ? " (live)" : "") + (v.override_reason ? ". Published despite contrast: " + v.override_reason : "");
      const li = el("li", { value: v.number }, label);
      if (v.number !== live && v.state !== "draft") {
        const b = el("button", { type: "button", class: "st-secondary" }, "Roll back to version " + v.number);
        b.addEventListener("click", () => rollback(v.number));
        li.append(b);
      }
      return li;
    });
    $("st-version-list").replaceChildren(...items);
  }

  async function rollback(n) {
    if (!window.confirm("Make version " + n + " live again?")) return;
    await flush();
    say("Rolling back…");
    try {
      await api("POST", themePath() + "/versions/" + enc(n) + "/rollback");
      await loadScope();
      say("Rolled back to version " + n + ".");
    } catch (e) {
      report(e, "Rolling back");
    }
  }

  // ---- wiring

  function start() {
    $("st-connect-form").addEventListener("submit", (ev) => {
      // form-action 'none': the form never submits; the script does.
      ev.preventDefault();
      const tenant = $("st-tenant").value.trim();
      const token = $("st-token").value.trim();
      if (!tenant || !token) {
        alarm("Type the tenant and a management token.");
        return;
      }
      if (!token.startsWith("lmgt_")) {
        alarm("A management token starts with lmgt_.");
        $("st-token").focus();
        return;
      }
      sessionStorage.setItem(KEY_TENANT, tenant);
      sessionStorage.setItem(KEY_TOKEN, token);
      Object.assign(state, { tenant, token });
      $("st-token").value = "";
      connect();
    });
    $("st-signout").addEventListener("click", () => signOut(""));
    $("st-scope-select").addEventListener("change", loadScope);
    for (const id of ["st-as-brand", "st-as-app", "st-locale"]) {
      $(id).addEventListener("change", () => refreshPreview(true));
    }
    const editor = $("st-editor");
    editor.addEventListener("input", onEditorInput);
    editor.addEventListener("click", onEditorClick);
    editor.addEventListener("submit", (ev) => ev.preventDefault());
    $("st-logo-file").addEventListener("change", upload);
    $("st-publish-btn").addEventListener("click", () => publish(false));
    $("st-publish-anyway").addEventListener("click", () => publish(true));
    $("st-reason").addEventListener("input", () => $("st-reason").removeAttribute("aria-invalid"));

    const tenant = sessionStorage.getItem(KEY_TENANT);
    const token = sessionStorage.getItem(KEY_TOKEN);
    if (tenant && token) {
      Object.assign(state, { tenant, token });
      $("st-tenant").value = tenant;
      connect();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

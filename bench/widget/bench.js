// bench.js runs first on a benchmark page (a plain script in <head>,
// before any widget code) and records, on the page's own clock
// (performance.now(), milliseconds since navigation start):
//   form:  the first time a text input of the widget is in the DOM,
//   shown: the first time it is also rendered visible (laid out, not
//          hidden by display, visibility, opacity or content-visibility),
//   paint: when the first animation frame in which it is visible runs its
//          callbacks, just before that frame paints it,
//   app:   when the page's own script (after the widget's script) runs,
//   wasm:  when the mount element's data-lintel-mode becomes "wasm" (only
//          when the script tag has data-wasm).
// It sees into shadow roots by wrapping attachShadow (open or closed)
// before the widget can call it. window.__bench.done resolves with the
// marks, the navigation, paint and resource timings and the long tasks
// once the form is painted (and the wasm has taken over when asked), or
// after data-timeout milliseconds with whatever was seen.
(() => {
  "use strict";
  const cfg = document.currentScript.dataset;
  const mountSel = cfg.mount || "#signin";
  const inputSel = cfg.input || 'input:is([type=text],[type=email],[type=tel],[type=password],:not([type]))';
  const wantWasm = "wasm" in cfg;
  const timeout = Number(cfg.timeout || 20000);
  const now = () => performance.now();
  const marks = {};
  const mark = (name, t) => { if (!(name in marks)) marks[name] = t === undefined ? now() : t; };
  const longTasks = [];
  // Errors the page reports (uncaught, rejected, console.error), a few.
  const errors = [];
  const noteError = (what) => { if (errors.length < 10) errors.push(String(what).slice(0, 300)); };
  addEventListener("error", (e) => noteError(e.message || e.type), true);
  addEventListener("unhandledrejection", (e) => noteError("unhandled rejection: " + ((e.reason && e.reason.message) || e.reason)));
  const consoleError = console.error;
  console.error = (...args) => { noteError(args.map((a) => (a && a.message) || a).join(" ")); consoleError.apply(console, args); };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({start: e.startTime, duration: e.duration});
    }).observe({type: "longtask", buffered: true});
  } catch (e) { /* no long task timing: the list stays empty */ }

  // The mount element's shadow roots, found as the widget attaches them.
  const roots = [];
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.push(root);
    mark("shadow");
    observer.observe(root, {subtree: true, childList: true, attributes: true});
    check();
    return root;
  };

  const visible = (el) => {
    if (!el.isConnected) return false;
    if (el.checkVisibility && !el.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const inputs = () => {
    const mount = document.querySelector(mountSel);
    if (!mount) return [];
    const found = [...mount.querySelectorAll(inputSel)];
    for (const r of roots) if (mount.contains(r.host) || r.host === mount) found.push(...r.querySelectorAll(inputSel));
    return found;
  };
  const shownInput = () => inputs().some(visible);

  let resolve;
  const done = new Promise((r) => { resolve = r; });
  const finish = (why) => {
    if (marks.end !== undefined) return;
    mark("end");
    observer.disconnect();
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource").map((e) => ({
      name: e.name, type: e.initiatorType, start: e.startTime, requestStart: e.requestStart,
      responseStart: e.responseStart, end: e.responseEnd, transfer: e.transferSize,
      encoded: e.encodedBodySize, decoded: e.decodedBodySize, protocol: e.nextHopProtocol,
    }));
    const paints = {};
    for (const p of performance.getEntriesByType("paint")) paints[p.name] = p.startTime;
    resolve({
      why, marks, paints, longTasks, errors, resources: res,
      nav: nav ? {responseEnd: nav.responseEnd, domInteractive: nav.domInteractive,
        domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, transfer: nav.transferSize,
        protocol: nav.nextHopProtocol} : null,
      mode: (document.querySelector(mountSel) || {dataset: {}}).dataset.lintelMode || "",
    });
  };
  const complete = () => marks.paint !== undefined && (!wantWasm || marks.wasm !== undefined);

  function check() {
    if (marks.form === undefined && inputs().length > 0) mark("form");
    if (marks.form !== undefined && marks.shown === undefined && shownInput()) mark("shown");
    if (wantWasm && marks.wasm === undefined) {
      const mount = document.querySelector(mountSel);
      if (mount && mount.dataset.lintelMode === "wasm") mark("wasm");
    }
    if (complete()) finish("complete");
  }
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, attributes: true});

  // Each frame before the form is painted: a frame whose callbacks see the
  // input visible is the frame that paints it.
  const frame = () => {
    if (marks.paint === undefined && shownInput()) {
      mark("shown");
      mark("paint");
      check();
    }
    if (marks.end === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  setTimeout(() => finish("timeout"), timeout);

  window.__bench = {done, mark, marks};
})();

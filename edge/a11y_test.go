package edge

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestHostedPagesAccessibility walks every hosted page state the tests can
// reach, and the demo client's pages, in English and in Arabic (right to
// left), in one headless Chromium with JavaScript on: the pages run no
// script of their own, and axe-core arrives through the DevTools
// protocol. Each page must have no serious or critical axe violation, and
// what axe cannot judge is checked as well: labels, live error messages
// tied to their fields, where focus starts, the language and direction,
// the title and the one heading.
func TestHostedPagesAccessibility(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	partner := w.partner(t)
	browser := browsertest.Start(t, browsertest.Options{JavaScript: true, IgnoreCertificateErrors: true})
	recovery := newA11yRecovery(t, w)
	journeys := newA11yJourneys(t, "en", "ar")
	demo := newA11yDemo(t)
	factors := newA11yFactors(t, w)
	for _, lang := range []struct{ tag, dir string }{{"en", "ltr"}, {"ar", "rtl"}} {
		t.Run(lang.tag, func(t *testing.T) {
			// a signs in; b opens the emailed link, as a second browser.
			a, b := browsertest.Isolated(t, browser), browsertest.Isolated(t, browser)
			check := func(ctx context.Context, name string, want a11yWant) {
				t.Helper()
				want.lang, want.dir = lang.tag, lang.dir
				t.Run(name, func(t *testing.T) { checkPage(t, ctx, name+"-"+lang.tag, want) })
			}
			do := func(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, actions...); err != nil {
					t.Fatal(err)
				}
			}
			// next runs actions that leave the page and waits for the next
			// one (whose <html> lacks the marker put on this one) to show
			// the element sel.
			next := func(ctx context.Context, sel string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				do(ctx, chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.left = "1"`))
				do(ctx, append(actions, chromedp.WaitVisible(chromedp.CSS("html:not([data-left]) "+sel)))...)
			}

			_, challenge := pkce("a11y")
			do(a, chromedp.Navigate(w.authorizeURL(challenge, "ui_locales", lang.tag)), chromedp.WaitVisible(chromedp.CSS("#f-login")))
			check(a, "identify", a11yWant{})
			next(a, "#msg-login", chromedp.Click(chromedp.CSS(`button[value="next"]`)))
			check(a, "identify-empty", a11yWant{invalid: "login"})
			next(a, "#f-password", chromedp.SendKeys(chromedp.CSS("#f-login"), alice), chromedp.Click(chromedp.CSS(`button[value="next"]`)))
			check(a, "password", a11yWant{})
			next(a, ".lt-message-error", chromedp.SendKeys(chromedp.CSS("#f-password"), "not the password"), chromedp.Click(chromedp.CSS(`button[value="sign-in"]`)))
			check(a, "password-wrong", a11yWant{pageError: true})
			next(a, `[data-step="poll"]`, chromedp.Click(chromedp.CSS(`button[value="email-code"]`)))
			check(a, "poll", a11yWant{})
			next(a, "#f-code", chromedp.Click(chromedp.CSS(`button[value="enter-code"]`)))
			check(a, "code", a11yWant{})
			code, link := w.lastMail(t)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			next(a, "#msg-code", chromedp.SendKeys(chromedp.CSS("#f-code"), wrong), chromedp.Click(chromedp.CSS(`button[value="verify"]`)))
			check(a, "code-wrong", a11yWant{invalid: "code"})

			// The link, opened in the other browser, then approved (or
			// not) in the first.
			do(b, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-step="confirm-link"]`)))
			check(b, "link-confirm", a11yWant{})
			next(b, `[data-step="info"]`, chromedp.Click(chromedp.CSS(`[data-step="confirm-link"] button`)))
			check(b, "link-elsewhere", a11yWant{})
			next(a, `button[value="approve"]`, chromedp.Reload())
			check(a, "approve", a11yWant{})
			next(a, `button[value="enter-code"]`, chromedp.Click(chromedp.CSS(`button[value="cancel"]`)))
			check(a, "link-cancelled", a11yWant{})

			// A third-party app asks for consent; the session made at its
			// password step is then signed out.
			_, challenge = pkce("a11y-consent")
			do(a, chromedp.Navigate(w.authorizeURL(challenge, "client_id", partner.ID, "redirect_uri", partnerCallback, "scope", "openid email", "ui_locales", lang.tag)),
				chromedp.WaitVisible(chromedp.CSS("#f-login")))
			next(a, "#f-password", chromedp.SendKeys(chromedp.CSS("#f-login"), alice), chromedp.Click(chromedp.CSS(`button[value="next"]`)))
			next(a, `[data-step="consent"]`, chromedp.SendKeys(chromedp.CSS("#f-password"), alicePass), chromedp.Click(chromedp.CSS(`button[value="sign-in"]`)))
			check(a, "consent", a11yWant{})
			do(a, chromedp.Navigate(w.srv.URL+"/oauth2/default/v1/logout?ui_locales="+lang.tag), chromedp.WaitVisible(chromedp.CSS("#logout")))
			check(a, "logout", a11yWant{})
			next(a, "h1", chromedp.Click(chromedp.CSS("#logout")))
			check(a, "logged-out", a11yWant{})

			// Error pages: a bad request, an unknown flow, a spent link, a path
			// no route takes.
			do(a, chromedp.Navigate(w.authorizeURL(challenge, "client_id", "app_unknown", "ui_locales", lang.tag)), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
			check(a, "error-bad-request", a11yWant{pageError: true})
			do(a, chromedp.Navigate(w.srv.URL+"/signin/flw_unknown?ui_locales="+lang.tag), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
			check(a, "error-unknown-flow", a11yWant{pageError: true})
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			u.RawQuery = "ui_locales=" + lang.tag
			do(b, chromedp.Navigate(u.String()), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
			check(b, "error-spent-link", a11yWant{pageError: true})
			do(a, chromedp.Navigate(w.srv.URL+"/no/such/page?ui_locales="+lang.tag), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
			check(a, "error-not-found", a11yWant{pageError: true})

			recovery.walk(t, browser, lang.tag, check, do, next)
			journeys.walk(t, browser, lang.tag, check, do, next)
			demo.walk(t, browser, lang.tag, check, do, next)
			factors.walk(t, browser, lang.tag, check, do, next)
		})
	}
}

// a11yWant is what a page must show beyond what axe checks.
type a11yWant struct {
	lang, dir string
	// invalid names the fields with an error (space-separated), which
	// must be marked so.
	invalid string
	// pageError says the page has an error about the whole page or form:
	// it marks no field, but the first field, if any, refers to it.
	pageError bool
	// browse says the page is read before anything is done on it (a list
	// of the person's factors with a form for each): focus stays at its
	// start.
	browse bool
}

// pageFacts is what the page tells about itself, read in the browser.
type pageFacts struct {
	Lang     string         `json:"lang"`
	Dir      string         `json:"dir"`
	Title    string         `json:"title"`
	H1       []string       `json:"h1"`
	Fields   []fieldFacts   `json:"fields"`
	Messages []messageFacts `json:"messages"`
}

type fieldFacts struct {
	Name        string     `json:"name"`
	Label       string     `json:"label"`
	Invalid     bool       `json:"invalid"`
	Autofocus   bool       `json:"autofocus"`
	DescribedBy []refFacts `json:"describedBy"`
}

type refFacts struct {
	ID    string `json:"id"`
	Found bool   `json:"found"`
	Text  string `json:"text"`
	Live  bool   `json:"live"`
}

type messageFacts struct {
	Text  string `json:"text"`
	Error bool   `json:"error"`
	Live  bool   `json:"live"`
	ID    string `json:"id"`
}

// readFacts reads a page's facts. A message is live when it or an
// ancestor is an ARIA live region (role alert or status, or aria-live
// polite or assertive).
const readFacts = `(() => {
	const text = e => e ? e.textContent.trim() : "";
	const live = e => {
		for (; e; e = e.parentElement) {
			const role = e.getAttribute("role"), al = e.getAttribute("aria-live");
			if (role === "alert" || role === "status" || al === "polite" || al === "assertive") return true;
		}
		return false;
	};
	const ids = (e, attr) => (e.getAttribute(attr) || "").split(/\s+/).filter(Boolean);
	const fields = [...document.querySelectorAll("input:not([type=hidden]), select, textarea")];
	return {
		lang: document.documentElement.getAttribute("lang") || "",
		dir: document.documentElement.getAttribute("dir") || "",
		title: document.title.trim(),
		h1: [...document.querySelectorAll("h1")].map(text),
		fields: fields.map(f => ({
			name: f.name,
			label: (f.id ? [...document.querySelectorAll("label[for]")].filter(l => l.htmlFor === f.id).map(text).join(" ") : "") ||
				ids(f, "aria-labelledby").map(id => text(document.getElementById(id))).join(" ").trim(),
			invalid: f.getAttribute("aria-invalid") === "true",
			autofocus: f.autofocus,
			describedBy: ids(f, "aria-describedby").map(id => {
				const e = document.getElementById(id);
				return {id, found: !!e, text: text(e), live: live(e)};
			}),
		})),
		messages: [...document.querySelectorAll(".lt-message")].map(m => ({
			text: text(m), error: m.classList.contains("lt-message-error"), live: live(m), id: m.id,
		})),
	};
})()`

// checkPage runs axe on the page in ctx and checks what axe cannot.
func checkPage(t *testing.T, ctx context.Context, name string, want a11yWant) {
	t.Helper()
	browsertest.Screenshot(t, ctx, name)
	browsertest.AxeClean(t, ctx)
	f, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](readFacts))
	if err != nil {
		t.Fatal(err)
	}
	if f.Lang != want.lang || f.Dir != want.dir {
		t.Errorf(`<html lang=%q dir=%q>, want %q and %q`, f.Lang, f.Dir, want.lang, want.dir)
	}
	if f.Title == "" {
		t.Error("no <title>")
	}
	if len(f.H1) != 1 || f.H1[0] == "" {
		t.Errorf("headings <h1> %q, want one", f.H1)
	}
	for _, m := range f.Messages {
		if m.Text == "" || !m.Live {
			t.Errorf("message %q (id %q) is empty or not in a live region", m.Text, m.ID)
		}
	}
	var firstInvalid, heard string
	for _, fl := range f.Fields {
		if fl.Label == "" {
			t.Errorf("field %q has no label (<label for> or aria-labelledby)", fl.Name)
		}
		if fl.Invalid && firstInvalid == "" {
			firstInvalid = fl.Name
		}
		if fl.Invalid != slices.Contains(strings.Fields(want.invalid), fl.Name) {
			t.Errorf("field %q: aria-invalid %v", fl.Name, fl.Invalid)
		}
		for _, r := range fl.DescribedBy {
			if !r.Found || r.Text == "" {
				t.Errorf("field %q: aria-describedby %q names no element with text", fl.Name, r.ID)
			}
			if r.Live {
				heard += r.Text
			}
		}
		if fl.Invalid && len(fl.DescribedBy) == 0 {
			t.Errorf("field %q is invalid but describes no message (aria-describedby)", fl.Name)
		}
	}
	var pageErrors int
	for _, m := range f.Messages {
		if m.Error {
			pageErrors++
			if len(f.Fields) > 0 && !strings.Contains(heard, m.Text) {
				t.Errorf("error %q is not read with any field (aria-describedby)", m.Text)
			}
		}
	}
	if want.invalid == "" && (pageErrors > 0) != want.pageError {
		t.Errorf("%d error messages, want an error about the form: %v", pageErrors, want.pageError)
	}
	if want.invalid != "" && pageErrors == 0 {
		t.Errorf("no error message for field %q", want.invalid)
	}
	// Focus starts on the first field with an error, else the first field;
	// a page to browse takes none.
	if want.browse {
		for _, fl := range f.Fields {
			if fl.Autofocus {
				t.Errorf("field %q has autofocus on a page to browse", fl.Name)
			}
		}
	} else if len(f.Fields) > 0 {
		first := f.Fields[0].Name
		if firstInvalid != "" {
			first = firstInvalid
		}
		for _, fl := range f.Fields {
			if fl.Autofocus != (fl.Name == first) {
				t.Errorf("field %q: autofocus %v, want it on %q only", fl.Name, fl.Autofocus, first)
			}
		}
		focused, err := chromedp.Run(ctx, chromedp.Poll[string](`document.activeElement && document.activeElement.name`, chromedp.WithPollingTimeout(2e9)))
		if err != nil || focused != first {
			t.Errorf("focus on %q (%v), want %q", focused, err, first)
		}
	}
}

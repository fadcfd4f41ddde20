package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/mail/mailtest"
)

// brandedInstance is a running binary with the demo tenant, its app and a
// second app, mail going to a sink on loopback.
type brandedInstance struct {
	s            started
	base, admin  string
	login, pass  string
	appA, appB   string
	sink         *mailtest.Sink
	api          string
	mailsSoFar   int
	demoTenantID string
}

// demoOutput reads what `serve --demo` prints: the demo tenant's ID, its
// app's client ID, the user's login and password, an admin token.
var demoOutput = regexp.MustCompile(`(?s)tenant\s+demo \((\S+)\).*client_id (\S+)\s+user\s+(\S+), password (\S+)\s+admin token[^\n]*\n\s+(\S+)`)

func startBranded(t *testing.T, extraEnv ...string) *brandedInstance {
	t.Helper()
	sink := mailtest.Start(t)
	port := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "LINTEL_PUBLIC_URL=" + base,
		"LINTEL_MAIL_SMTP_HOST=127.0.0.1", "LINTEL_MAIL_SMTP_PORT=" + strconv.Itoa(sink.Port), "LINTEL_MAIL_SMTP_TLS=none",
		"LINTEL_MAIL_FROM=Lintel <no-reply@lintel.example>", "LINTEL_EGRESS_ALLOW=127.0.0.0/8"}
	env = append(env, extraEnv...)
	s := startCommand(t, exec.Command(binary, "serve", "--demo", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), env)
	m := demoOutput.FindStringSubmatch(s.output)
	if m == nil {
		t.Fatalf("no demo data in the output:\n%s", s.output)
	}
	b := &brandedInstance{s: s, base: base, demoTenantID: m[1], appA: m[2], login: m[3], pass: m[4], admin: m[5], sink: sink,
		api: base + "/api/v1/mgmt/tenants/demo"}
	var app struct {
		ID string `json:"id"`
	}
	body := call(t, http.MethodPost, b.api+"/apps", b.admin, map[string]any{"name": "Demo Shop", "type": "web",
		"redirect_uris": []string{base + "/demo/callback"}}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		t.Fatalf("second app %s: %v", body, err)
	}
	b.appB = app.ID
	return b
}

// publish saves doc as scope's draft and publishes it.
func (b *brandedInstance) publish(t *testing.T, scope string, doc map[string]any) {
	t.Helper()
	call(t, http.MethodPut, b.api+"/themes/"+scope+"/draft", b.admin, doc, http.StatusOK)
	call(t, http.MethodPost, b.api+"/themes/"+scope+"/draft/publish", b.admin, map[string]any{}, http.StatusOK)
}

// browserClient keeps cookies and follows no redirect.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// signInPage starts a sign-in at app and returns the page's URL and HTML.
func (b *brandedInstance) signInPage(t *testing.T, c *http.Client, app string) (string, string) {
	t.Helper()
	return b.signInPageWith(t, c, app, nil)
}

// signInPageWith is signInPage with more authorization parameters.
func (b *brandedInstance) signInPageWith(t *testing.T, c *http.Client, app string, extra url.Values) (string, string) {
	t.Helper()
	sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
	q := url.Values{"client_id": {app}, "redirect_uri": {b.base + "/demo/callback"}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"st"}, "nonce": {"n"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	req, _ := http.NewRequest(http.MethodGet, b.base+"/oauth2/default/v1/authorize?"+q.Encode(), nil)
	status, h, _ := fetch(t, c, req)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize: %d to %q", status, h.Get("Location"))
	}
	page := b.base + h.Get("Location")
	req, _ = http.NewRequest(http.MethodGet, page, nil)
	_, _, body := fetch(t, c, req)
	return page, body
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// act posts the page's form with action and values, and returns the page
// it leads back to.
func (b *brandedInstance) act(t *testing.T, c *http.Client, page, body, action string, kv ...string) string {
	t.Helper()
	form := url.Values{"action": {action}}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], m[2])
	}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	req, _ := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	status, h, resp := fetch(t, c, req)
	if status != http.StatusSeeOther {
		t.Fatalf("%s: %d\n%s", action, status, resp)
	}
	req, _ = http.NewRequest(http.MethodGet, b.base+h.Get("Location"), nil)
	if strings.HasPrefix(h.Get("Location"), "http") {
		req, _ = http.NewRequest(http.MethodGet, h.Get("Location"), nil)
	}
	_, _, next := fetch(t, c, req)
	return next
}

// signInByEmail signs in at app up to the emailed code, and returns the
// sign-in page's HTML and the email that came.
func (b *brandedInstance) signInByEmail(t *testing.T, app string) (string, mailtest.Message) {
	t.Helper()
	c := browserClient(t)
	page, body := b.signInPage(t, c, app)
	pw := b.act(t, c, page, body, engine.ActionNext, "login", b.login)
	b.act(t, c, page, pw, engine.ActionEmailCode)
	b.mailsSoFar++
	msgs := b.sink.Wait(t, b.mailsSoFar, 30*time.Second)
	return body, msgs[len(msgs)-1]
}

// logoPNG is a small logo of one colour.
func logoPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 24))
	for x := 4; x < 60; x++ {
		for y := 4; y < 20; y++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadLogo stores a logo and returns its asset ID.
func (b *brandedInstance) uploadLogo(t *testing.T, data []byte) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.api+"/theme-assets", bytes.NewReader(data))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+b.admin)
	status, _, body := fetch(t, http.DefaultClient, req)
	var a struct {
		ID string `json:"id"`
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &a) != nil || a.ID == "" {
		t.Fatalf("upload: %d %s", status, body)
	}
	return a.ID
}

// TestTwoAppsOnOneDomainAreBrandedApart runs the binary, publishes a
// theme for each of two apps of one tenant on one host, and signs in to
// each: the pages and the sign-in emails (read from the SMTP sink) carry
// each app's own colours and logo. Then a tenant theme goes through two
// versions and back: the rollback restores v1 on pages and in emails;
// and a publish that fails WCAG AA contrast is refused and changes
// nothing.
func TestTwoAppsOnOneDomainAreBrandedApart(t *testing.T) {
	b := startBranded(t)
	logoA := b.uploadLogo(t, logoPNG(t, color.RGBA{0x0b, 0x6e, 0x4f, 0xff}))
	b.publish(t, b.appA, map[string]any{"tokens": map[string]string{"color-primary": "#0b6e4f", "color-link": "#0b6e4f", "logo": logoA}})
	b.publish(t, b.appB, map[string]any{"base": "dark", "tokens": map[string]string{"color-primary": "#ce93d8", "color-on-primary": "#1b1d24"}})

	pageA, mailA := b.signInByEmail(t, b.appA)
	pageB, mailB := b.signInByEmail(t, b.appB)
	for _, c := range []struct {
		name, page, html, want, not string
	}{
		{"app A", pageA, mailA.HTML, "#0b6e4f", "#ce93d8"},
		{"app B", pageB, mailB.HTML, "#ce93d8", "#0b6e4f"},
	} {
		if !strings.Contains(c.page, "--lt-color-primary: "+c.want) || strings.Contains(c.page, c.not) {
			t.Errorf("%s's page lacks its primary %s (or shows the other's):\n%s", c.name, c.want, c.page)
		}
		if !strings.Contains(strings.ToLower(c.html), c.want) || strings.Contains(strings.ToLower(c.html), c.not) {
			t.Errorf("%s's email lacks its accent %s (or shows the other's):\n%s", c.name, c.want, c.html)
		}
	}
	if !strings.Contains(pageA, `class="lt-logo"`) || !strings.Contains(pageA, "/branding/assets/"+logoA) || strings.Contains(pageB, "lt-logo") {
		t.Errorf("only app A shows its logo:\nA: %s\nB: %s", pageA, pageB)
	}
	if !strings.Contains(pageB, `content="dark"`) || !strings.Contains(mailB.HTML, "dark") {
		t.Errorf("app B's page and email are not dark")
	}
	status, h, logo := fetch(t, http.DefaultClient, mustRequest(t, b.base+"/branding/assets/"+logoA))
	if status != http.StatusOK || h.Get("Content-Type") != "image/png" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || len(logo) == 0 {
		t.Errorf("logo: %d %v", status, h)
	}

	// Tenant theme v1, v2, then back to v1: pages and emails follow.
	tenantScope := b.demoTenantID
	b.publish(t, tenantScope, map[string]any{"tokens": map[string]string{"color-background": "#fff8e1"}})
	b.publish(t, tenantScope, map[string]any{"tokens": map[string]string{"color-background": "#e3f2fd"}})
	if page, mail := b.signInByEmail(t, b.appA); !strings.Contains(page, "#e3f2fd") || !strings.Contains(strings.ToLower(mail.HTML), "#e3f2fd") {
		t.Fatalf("v2 is not live")
	}
	call(t, http.MethodPost, b.api+"/themes/"+tenantScope+"/versions/1/rollback", b.admin, nil, http.StatusOK)
	if page, mail := b.signInByEmail(t, b.appA); !strings.Contains(page, "#fff8e1") || strings.Contains(page, "#e3f2fd") ||
		!strings.Contains(strings.ToLower(mail.HTML), "#fff8e1") || strings.Contains(strings.ToLower(mail.HTML), "#e3f2fd") {
		t.Fatalf("the rollback did not restore v1's pages and emails:\n%s\n%s", page, mail.HTML)
	}

	// Yellow on white fails AA: refused, and app A keeps its theme.
	call(t, http.MethodPut, b.api+"/themes/"+b.appA+"/draft", b.admin, map[string]any{"tokens": map[string]string{"color-primary": "#ffeb3b"}}, http.StatusOK)
	refused := call(t, http.MethodPost, b.api+"/themes/"+b.appA+"/draft/publish", b.admin, map[string]any{}, http.StatusUnprocessableEntity)
	if !strings.Contains(string(refused), "color-primary") {
		t.Errorf("the refusal does not name the failing token: %s", refused)
	}
	if _, page := b.signInPage(t, browserClient(t), b.appA); !strings.Contains(page, "#0b6e4f") || strings.Contains(page, "#ffeb3b") {
		t.Errorf("a refused publish changed the live theme")
	}
	b.s.stop(t)
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestStudioAndBrandedPagesInChromium takes screenshots, in headless
// Chromium, of two apps' branded sign-in pages and of the studio editing
// a draft with its previews.
func TestStudioAndBrandedPagesInChromium(t *testing.T) {
	b := startBranded(t)
	b.publish(t, b.appA, map[string]any{"tokens": map[string]string{"color-primary": "#0b6e4f", "color-link": "#0b6e4f", "radius": "2px",
		"logo": b.uploadLogo(t, logoPNG(t, color.RGBA{0x0b, 0x6e, 0x4f, 0xff}))}})
	b.publish(t, b.appB, map[string]any{"base": "dark", "tokens": map[string]string{"color-primary": "#ce93d8", "color-on-primary": "#1b1d24", "radius": "16px"}})
	ctx := browsertest.Start(t, browsertest.Options{JavaScript: true})
	for _, app := range []struct{ name, id string }{{"app-a", b.appA}, {"app-b", b.appB}} {
		sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
		q := url.Values{"client_id": {app.id}, "redirect_uri": {b.base + "/demo/callback"}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"st"}, "nonce": {"n"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		if err := chromedp.Do(ctx, chromedp.Navigate(b.base+"/oauth2/default/v1/authorize?"+q.Encode()), chromedp.WaitReady(chromedp.CSS("#f-login"))); err != nil {
			t.Fatalf("%s sign-in page: %v", app.name, err)
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".lt-primary")).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"app-a": "rgb(11, 110, 79)", "app-b": "rgb(206, 147, 216)"}[app.name]
		if bg != want {
			t.Errorf("%s's primary button is %s, want %s", app.name, bg, want)
		}
		browsertest.Screenshot(t, ctx, "branded-"+app.name)
	}

	// A designer's draft: the studio previews it.
	call(t, http.MethodPut, b.api+"/themes/"+b.appA+"/draft", b.admin, map[string]any{"tokens": map[string]string{"color-primary": "#00695c", "radius": "12px"}}, http.StatusOK)
	if err := chromedp.Do(ctx, chromedp.Navigate(b.base+"/studio"), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("studio: %v", err)
	}
	browsertest.Screenshot(t, ctx, "studio-signed-out")
	studioSignIn(t, ctx, "demo", b.admin, b.appA)
	browsertest.Screenshot(t, ctx, "studio")
	// The first previews, close up (a full-page picture leaves frames
	// out of the viewport blank).
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#st-preview")))
	if err != nil {
		t.Fatalf("preview picture: %v", err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "studio-preview.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	srcs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#st-screens iframe, #st-emails iframe")].map(f => f.src)`))
	if err != nil || len(srcs) < 10 {
		t.Fatalf("the studio shows %d previews (%v)", len(srcs), err)
	}
	// Each frame shows the draft.
	checked := 0
	for _, src := range srcs {
		if !strings.Contains(src, "/screens/identify?") && !strings.Contains(src, "/emails/passwordless?") {
			continue
		}
		checked++
		status, h, body := fetch(t, http.DefaultClient, mustRequest(t, src))
		if status != http.StatusOK || !strings.Contains(strings.ToLower(body), "#00695c") || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("preview %s: %d %v\n%s", src, status, h, body)
		}
	}
	if checked != 2 {
		t.Errorf("the studio does not preview both the identify screen and the sign-in email: %q", srcs)
	}
	// The previews themselves, as the frames show them.
	for _, src := range srcs {
		if strings.Contains(src, "/screens/identify?") || strings.Contains(src, "/emails/passwordless?") {
			if err := chromedp.Do(ctx, chromedp.Navigate(src), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
				t.Fatal(err)
			}
			browsertest.Screenshot(t, ctx, "preview-"+map[bool]string{true: "identify", false: "passwordless"}[strings.Contains(src, "/screens/")])
		}
	}
}

// studioSignIn connects the studio to tenant with token, picks scope (a
// tenant, brand or app ID) and waits for its previews to load.
func studioSignIn(t *testing.T, ctx context.Context, tenant, token, scope string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#st-tenant"), tenant),
		chromedp.SendKeys(chromedp.CSS("#st-token"), token),
		chromedp.Click(chromedp.CSS(`#st-connect-form button[type="submit"]`)),
	); err != nil {
		t.Fatalf("studio: %v", err)
	}
	// wait polls the page for cond, failing with what the studio says.
	wait := func(what, cond string) {
		t.Helper()
		for range 60 {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
			if err != nil {
				t.Fatalf("studio: %s: %v", what, err)
			}
			if ok {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		said, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("st-alert").textContent + " | " + document.getElementById("st-status").textContent`))
		t.Fatalf("studio: %s did not happen; the studio says %q", what, said)
	}
	wait("connecting", `!document.getElementById("st-work").hidden && !!document.querySelector('#st-scope-select option[value="`+scope+`"]')`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("st-scope-select"); s.value = `+strconv.Quote(scope)+`; return s.dispatchEvent(new Event("change")); })()`)); err != nil {
		t.Fatalf("studio scope: %v", err)
	}
	wait("previews", `document.querySelectorAll("#st-screens iframe").length > 0 && document.querySelectorAll("#st-emails iframe").length > 0`)
	// Frames below the fold load lazily; the full-page picture wants them
	// all.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("iframe").forEach(f => f.loading = "eager"), true`)); err != nil {
		t.Fatalf("studio frames: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Sleep(3*time.Second)); err != nil { // the frames paint
		t.Fatalf("studio: %v", err)
	}
}

package core_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
)

// httpTransport is the client's Transport over net/http, as fetch is in
// the browser.
type httpTransport struct{ c *http.Client }

func (h httpTransport) Do(r core.Request) (core.Response, error) {
	req, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return core.Response{}, err
	}
	for _, a := range r.Header {
		req.Header.Set(a.Name, a.Value)
	}
	res, err := h.c.Do(req)
	if err != nil {
		return core.Response{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return core.Response{Status: res.StatusCode, Body: body}, err
}

// flowAPI is a flow API on loopback with one flow: identify, then a
// password in Arabic, then done. It checks what the client sends.
type flowAPI struct {
	t        *testing.T
	step     int
	requests []string
}

func (a *flowAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests = append(a.requests, r.Method+" "+r.URL.Path)
	if r.Header.Get("Accept") != "application/json" {
		a.t.Errorf("%s %s: Accept %q", r.Method, r.URL.Path, r.Header.Get("Accept"))
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/v1/locales/"):
		lang := strings.TrimPrefix(r.URL.Path, "/api/v1/locales/")
		_, _ = w.Write(wire.Catalog{Lang: lang, Messages: map[string]string{"identify.title": "Sign in (" + lang + ")"}}.AppendJSON(nil))
		return
	case r.URL.Path != "/api/v1/flows/f1":
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"flow_not_found","message":"error.flow.not_found"}`))
		return
	case r.Header.Get(core.SecretHeader) != "s3cret":
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"flow_secret_required","message":"error.flow.not_found"}`))
		return
	}
	if r.Method == "POST" {
		if r.Header.Get("Content-Type") != "application/json" {
			a.t.Errorf("POST Content-Type %q", r.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(r.Body)
		req, err := wire.ParseContinueRequest(body)
		if err != nil {
			a.t.Errorf("POST body %q: %v", body, err)
		}
		switch {
		case a.step == 0 && req.Action == "next":
			if v, _ := req.Value("login"); v != "ada@example.com" {
				a.t.Errorf("login %q", v)
			}
			a.step = 1
		case a.step == 1 && req.Action == "sign_in":
			a.step = 2
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"unknown_action","message":"error.request.invalid"}`))
			return
		}
	}
	f := []wire.Flow{
		{ID: "f1", Step: wire.StepIdentify, Context: wire.Context{Locale: "en"}, Fields: []wire.Field{{Name: "login", Type: wire.FieldText}},
			Actions: []wire.Action{{Name: "next", Method: "POST", Primary: true}}},
		{ID: "f1", Step: wire.StepChallengePassword, Context: wire.Context{Locale: "ar", Dir: "rtl"}, Fields: []wire.Field{{Name: "password", Type: wire.FieldPassword, Secret: true}},
			Actions: []wire.Action{{Name: "sign_in", Method: "POST", Primary: true}}},
		{ID: "f1", Step: wire.StepDone, Redirect: "https://shop.example/cb?code=c&state=s"},
	}[a.step]
	_, _ = w.Write(f.AppendJSON(nil))
}

func TestClientWalksAFlow(t *testing.T) {
	api := &flowAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := &core.Client{Transport: httpTransport{srv.Client()}, Base: srv.URL + "/", FlowID: "f1", Secret: "s3cret", Locale: "fr"}
	if err := c.Load(); err != nil {
		t.Fatal(err)
	}
	if c.Flow.Step != wire.StepIdentify || c.Catalog.Text("identify.title") != "Sign in (en)" {
		t.Fatalf("after Load: step %q, title %q", c.Flow.Step, c.Catalog.Text("identify.title"))
	}
	if changed, err := c.Refresh(); err != nil || changed {
		t.Errorf("Refresh of an unchanged step: changed %v, %v", changed, err)
	}
	if err := c.Continue("next", []wire.Param{{Name: "login", Value: "ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if c.Flow.Step != wire.StepChallengePassword || c.Catalog.Lang != "ar" {
		t.Fatalf("after next: step %q, catalog %q", c.Flow.Step, c.Catalog.Lang)
	}
	if core.EffectOf(c.Flow).Kind != core.EffectRender {
		t.Errorf("a password step is rendered")
	}
	err := c.Continue("nonsense", nil)
	var apiErr *wire.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "unknown_action" || apiErr.Message != "error.request.invalid" || apiErr.Status != 400 {
		t.Errorf("an unknown action: %v", err)
	}
	if c.Flow.Step != wire.StepChallengePassword {
		t.Errorf("a refused request keeps the step: %q", c.Flow.Step)
	}
	if err := c.Continue("sign_in", []wire.Param{{Name: "password", Value: "pw"}}); err != nil {
		t.Fatal(err)
	}
	if e := core.EffectOf(c.Flow); e.Kind != core.EffectDone || e.URL != "https://shop.example/cb?code=c&state=s" {
		t.Errorf("done: %+v", e)
	}
	want := "GET /api/v1/flows/f1,GET /api/v1/locales/en,GET /api/v1/flows/f1,POST /api/v1/flows/f1,GET /api/v1/locales/ar,POST /api/v1/flows/f1,POST /api/v1/flows/f1"
	if got := strings.Join(api.requests, ","); got != want {
		t.Errorf("requests:\n%s\nwant\n%s", got, want)
	}
}

func TestClientErrors(t *testing.T) {
	api := &flowAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var apiErr *wire.APIError
	c := &core.Client{Transport: httpTransport{srv.Client()}, Base: srv.URL, FlowID: "f1", Secret: "wrong"}
	if err := c.Load(); !errors.As(err, &apiErr) || apiErr.Code != "flow_secret_required" || apiErr.Status != 401 {
		t.Errorf("a wrong secret: %v", err)
	}
	c = &core.Client{Transport: httpTransport{srv.Client()}, Base: srv.URL, FlowID: "../x y", Secret: "s3cret"}
	if err := c.Load(); !errors.As(err, &apiErr) || apiErr.Code != "flow_not_found" {
		t.Errorf("an unknown flow (escaped into one path segment): %v", err)
	}
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			w.WriteHeader(http.StatusBadGateway)
		}
		_, _ = w.Write([]byte("<html>"))
	}))
	defer html.Close()
	c = &core.Client{Transport: httpTransport{html.Client()}, Base: html.URL, FlowID: "f1"}
	if err := c.Load(); !errors.Is(err, core.ErrProtocol) {
		t.Errorf("an HTML answer: %v", err)
	}
	if err := c.Continue("x", nil); !errors.As(err, &apiErr) || apiErr.Code != "server_error" || apiErr.Message != "error.server" || apiErr.Status != 502 {
		t.Errorf("a 502 without JSON: %v", err)
	}
}

func TestEffectOf(t *testing.T) {
	idp := func(actions ...wire.Action) wire.Flow { return wire.Flow{Step: wire.StepRedirectIdP, Actions: actions} }
	get := func(u string) core.Effect { return core.Effect{Kind: core.EffectNavigate, URL: u, Method: "GET"} }
	post := func(u string) core.Effect {
		return core.Effect{Kind: core.EffectNavigate, URL: u, Method: "POST", SecretField: "flow_secret"}
	}
	acme := []wire.Param{{Name: "name", Value: "Acme SSO"}, {Name: "kind", Value: "oidc"}}
	for _, c := range []struct {
		name string
		f    wire.Flow
		want core.Effect
	}{
		{"done hands over the redirect", wire.Flow{Step: wire.StepDone, Redirect: "https://a/cb"}, core.Effect{Kind: core.EffectDone, URL: "https://a/cb"}},
		{"done without a redirect is shown", wire.Flow{Step: wire.StepDone}, core.Effect{}},
		{"poll polls", wire.Flow{Step: wire.StepPoll}, core.Effect{Poll: true}},
		{"redirect-idp follows the primary action", idp(wire.Action{Name: "a", Href: "https://idp.example/a"}, wire.Action{Name: "b", Href: "https://idp.example/b", Primary: true}),
			get("https://idp.example/b")},
		{"redirect-idp follows the first action with an address", idp(wire.Action{Name: "x"}, wire.Action{Name: "a", Href: "https://idp.example/a"}),
			get("https://idp.example/a")},
		{"redirect-idp follows a GET href as a link", idp(wire.Action{Name: "a", Method: "GET", Href: "https://idp.example/a", Primary: true}),
			get("https://idp.example/a")},
		{"redirect-idp posts the flow over to a POST href, top-level, with the secret in the form",
			idp(wire.Action{Name: "back", Method: "POST"},
				wire.Action{Name: "redirect", Method: "POST", Href: "https://login.acme.com/signin/f1/idp", Label: "federation.continue_with", LabelParams: acme, Primary: true}),
			post("https://login.acme.com/signin/f1/idp")},
		{"redirect-idp posts to http on loopback, for development", idp(wire.Action{Name: "redirect", Method: "POST", Href: "http://localhost:8080/signin/f1/idp", Primary: true}),
			post("http://localhost:8080/signin/f1/idp")},
		{"redirect-idp never posts to plain http", idp(wire.Action{Name: "redirect", Method: "POST", Href: "http://login.acme.com/signin/f1/idp", Primary: true}), core.Effect{}},
		{"redirect-idp never follows javascript:", idp(wire.Action{Name: "a", Href: "javascript:alert(1)", Primary: true}), core.Effect{}},
		{"redirect-idp never posts to javascript:", idp(wire.Action{Name: "a", Method: "POST", Href: "javascript:alert(1)", Primary: true}), core.Effect{}},
		{"a choice of providers is shown", idp(wire.Action{Name: "idp:a", Method: "POST", Label: "federation.continue_with", LabelParams: acme},
			wire.Action{Name: "back", Method: "POST"}), core.Effect{}},
		{"other steps are shown", wire.Flow{Step: wire.StepIdentify}, core.Effect{}},
	} {
		if got := core.EffectOf(c.f); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestSubmitEffect(t *testing.T) {
	hand := wire.Action{Name: "redirect", Method: "POST", Href: "https://login.acme.com/signin/f1/idp", Label: "federation.continue_with", Primary: true}
	chosen := wire.Flow{Step: wire.StepRedirectIdP, Actions: []wire.Action{hand, {Name: "back", Method: "POST"}}}
	for _, c := range []struct {
		name   string
		f      wire.Flow
		action string
		want   core.Effect
	}{
		{"the hand-over button posts the flow over, top-level", chosen, "redirect",
			core.Effect{Kind: core.EffectNavigate, URL: hand.Href, Method: "POST", SecretField: "flow_secret"}},
		{"back continues through the API", chosen, "back", core.Effect{}},
		{"an unknown action continues through the API", chosen, "nonsense", core.Effect{}},
		{"the same action on another step continues through the API", wire.Flow{Step: wire.StepIdentify, Actions: chosen.Actions}, "redirect", core.Effect{}},
	} {
		if got := core.SubmitEffect(c.f, c.action); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

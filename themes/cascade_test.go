package themes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

func fields(err error) string {
	var out []string
	for _, e := range invalid.All(err) {
		out = append(out, e.Field)
	}
	return strings.Join(out, " ")
}

func TestDocumentValidate(t *testing.T) {
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name   string
		doc    Document
		fields string // "" when valid
	}{
		{"accepts an empty document", Document{}, ""},
		{"accepts a full document", Document{
			Base:          "dark",
			Tokens:        Tokens{"color-primary": "#abc", "logo": "ast_1"},
			Locales:       map[string]Tokens{"ar": {"font-family": `"Noto Sans Arabic", sans-serif`}, "pt-BR": {"font-size": "17px"}},
			Texts:         map[string]map[string]string{"en": {"identify.title": "Sign in to Acme"}},
			Emails:        map[string]map[string]EmailTemplate{"en": {"passwordless": {Subject: "s", Text: "t", HTML: "<p>h</p>"}}},
			PageTemplate:  "<html><lintel-slot name=flow></lintel-slot></html>",
			StyleOrigins:  []string{"https://cdn.acme.com", "https://fonts.example:8443"},
			ScriptOrigins: []string{"https://[2001:db8::1]"},
		}, ""},
		{"accepts language-neutral emails", Document{Emails: map[string]map[string]EmailTemplate{
			"*": {"welcome": {HTML: `<p>{{t "mail.welcome.heading"}}</p>`}}, "de": {"welcome": {Subject: "s"}}}}, ""},
		{"refuses * as a locale of tokens", Document{Locales: map[string]Tokens{"*": {"radius": "2px"}}}, "locales.*"},
		{"refuses * as a locale of texts", Document{Texts: map[string]map[string]string{"*": {"a.b": "c"}}}, "texts.*"},
		{"refuses other wildcards as an email key", Document{Emails: map[string]map[string]EmailTemplate{
			"**": {}, "en-*": {}, "pt-br": {}}}, "emails.** emails.en-* emails.pt-br"},
		{"refuses a long language-neutral email part", Document{Emails: map[string]map[string]EmailTemplate{
			"*": {"welcome": {Text: strings.Repeat("x", MaxEmailPart+1)}}}}, "emails.*.welcome.text"},
		{"refuses an unknown base", Document{Base: "sepia"}, "base"},
		{"refuses a token", Document{Tokens: Tokens{"color-primary": "red"}}, "tokens.color-primary"},
		{"refuses a locale's token", Document{Locales: map[string]Tokens{"ar": {"font-family": "x;y"}}}, "locales.ar.font-family"},
		{"refuses a non-canonical tag", Document{Locales: map[string]Tokens{"pt-br": {}}}, "locales.pt-br"},
		{"refuses a malformed tag", Document{Texts: map[string]map[string]string{"english!": {}}}, "texts.english!"},
		{"refuses und", Document{Emails: map[string]map[string]EmailTemplate{"und": {}}}, "emails.und"},
		{"refuses a long tag", Document{Texts: map[string]map[string]string{"en-" + strings.Repeat("x", 40): {}}}, "texts.en-" + strings.Repeat("x", 40)},
		{"refuses a long text", Document{Texts: map[string]map[string]string{"en": {"a.b": strings.Repeat("x", MaxText+1)}}}, "texts.en.a.b"},
		{"refuses text that is not UTF-8", Document{Texts: map[string]map[string]string{"en": {"a.b": "\xff"}}}, "texts.en.a.b"},
		{"refuses too many texts", Document{Texts: map[string]map[string]string{"en": func() map[string]string {
			m := map[string]string{}
			for i := range MaxTextsPerLocale + 1 {
				m[fmt.Sprint("id.", i)] = "x"
			}
			return m
		}()}}, "texts.en"},
		{"refuses too many locales", Document{Locales: func() map[string]Tokens {
			m := map[string]Tokens{}
			for _, l := range many(MaxLocales+1, func(i int) string { return fmt.Sprintf("en-%03d", i+100) }) {
				m[l] = nil
			}
			return m
		}()}, "locales"},
		{"refuses a long email part", Document{Emails: map[string]map[string]EmailTemplate{"en": {"welcome": {HTML: strings.Repeat("x", MaxEmailPart+1)}}}}, "emails.en.welcome.html"},
		{"refuses too many email kinds", Document{Emails: map[string]map[string]EmailTemplate{"en": func() map[string]EmailTemplate {
			m := map[string]EmailTemplate{}
			for i := range MaxEmailKinds + 1 {
				m[fmt.Sprint("k", i)] = EmailTemplate{}
			}
			return m
		}()}}, "emails.en"},
		{"refuses a long page template", Document{PageTemplate: strings.Repeat("x", MaxPageTemplate+1)}, "page_template"},
		{"refuses an http origin", Document{StyleOrigins: []string{"http://cdn.acme.com"}}, "style_origins[0]"},
		{"refuses an origin with a path", Document{StyleOrigins: []string{"https://a.com", "https://cdn.acme.com/"}}, "style_origins[1]"},
		{"refuses an origin with upper case", Document{ScriptOrigins: []string{"https://CDN.acme.com"}}, "script_origins[0]"},
		{"refuses a wildcard origin", Document{ScriptOrigins: []string{"https://*.acme.com"}}, "script_origins[0]"},
		{"refuses an origin with credentials", Document{ScriptOrigins: []string{"https://u@acme.com"}}, "script_origins[0]"},
		{"refuses an origin with a bad port", Document{ScriptOrigins: []string{"https://acme.com:0"}}, "script_origins[0]"},
		{"refuses an origin with a query", Document{ScriptOrigins: []string{"https://acme.com?x"}}, "script_origins[0]"},
		{"refuses a duplicate origin", Document{ScriptOrigins: []string{"https://a.com", "https://a.com"}}, "script_origins[1]"},
		{"refuses eleven origins", Document{StyleOrigins: many(MaxOrigins+1, func(i int) string { return fmt.Sprintf("https://a%d.com", i) })}, "style_origins"},
		{"reports every problem at once", Document{
			Base:         "x",
			Tokens:       Tokens{"radius": "1km", "colour": "#000"},
			Locales:      map[string]Tokens{"ar": {"space": "-1px"}},
			StyleOrigins: []string{"ftp://a"},
		}, "base tokens.radius tokens.colour locales.ar.space style_origins[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.doc.Validate(Checks{})
			if got := fields(err); got != tt.fields {
				t.Fatalf("fields %q, want %q (err %v)", got, tt.fields, err)
			}
			if err != nil && !errors.Is(err, ErrValue) && !errors.Is(err, ErrUnknownToken) {
				t.Errorf("err %v wraps no sentinel", err)
			}
		})
	}
}

var errBadID = errors.New("unknown message ID")

func TestDocumentValidateRunsChecks(t *testing.T) {
	doc := Document{
		Texts: map[string]map[string]string{"en": {"identify.title": "ok", "no.such": "x"}},
		Emails: map[string]map[string]EmailTemplate{"de": {"passwordless": {HTML: "{{"}},
			"*": {"welcome": {Subject: "ok"}, "lockout": {Text: "{{"}}},
		PageTemplate: "<html>",
		StyleOrigins: []string{"https://cdn.acme.com"},
	}
	var sawOrigins, sawEmails []string
	c := Checks{
		Text: func(lang, id, text string) error {
			if id == "no.such" {
				return fmt.Errorf("%w: %s", errBadID, id)
			}
			return nil
		},
		Email: func(lang, kind string, t EmailTemplate) error {
			sawEmails = append(sawEmails, lang+"/"+kind)
			switch {
			case t.HTML == "{{":
				return invalid.Field("html", "does not parse")
			case t.Text == "{{":
				return invalid.Field("text", "does not parse")
			}
			return nil
		},
		PageTemplate: func(src string, style, script []string) error {
			sawOrigins = style
			return errors.Join(invalid.Field("page_template", "lacks the flow slot"), invalid.Field("page_template[3]", "unknown slot"))
		},
	}
	err := doc.Validate(c)
	want := "texts.en.no.such emails.*.lockout.text emails.de.passwordless.html page_template page_template[3]"
	if got := fields(err); got != want {
		t.Fatalf("fields %q, want %q", got, want)
	}
	if got := strings.Join(sawEmails, " "); got != "*/lockout */welcome de/passwordless" {
		t.Errorf("Email check called for %s", got)
	}
	if !errors.Is(err, errBadID) {
		t.Error("the Text check's error is hidden from errors.Is")
	}
	if len(sawOrigins) != 1 || sawOrigins[0] != "https://cdn.acme.com" {
		t.Errorf("PageTemplate check got origins %v", sawOrigins)
	}
	all := invalid.All(err)
	if all[0].Reason != "unknown message ID: no.such" || all[1].Reason != "does not parse" || all[2].Reason != "does not parse" {
		t.Errorf("reasons %q, %q, %q", all[0].Reason, all[1].Reason, all[2].Reason)
	}
}

func TestDocumentEmpty(t *testing.T) {
	if !(Document{}).Empty() || !(Document{Tokens: Tokens{}, Texts: map[string]map[string]string{}}).Empty() {
		t.Error("an empty document is not Empty")
	}
	for _, d := range []Document{
		{Base: "dark"}, {Tokens: Tokens{"radius": "0px"}}, {Locales: map[string]Tokens{"ar": nil}},
		{Texts: map[string]map[string]string{"en": nil}}, {Emails: map[string]map[string]EmailTemplate{"en": nil}},
		{PageTemplate: "x"}, {StyleOrigins: []string{"https://a.com"}}, {ScriptOrigins: []string{"https://a.com"}},
	} {
		if d.Empty() {
			t.Errorf("%+v is Empty", d)
		}
	}
}

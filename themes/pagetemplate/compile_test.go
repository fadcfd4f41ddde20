package pagetemplate

import (
	"errors"
	"strings"
	"testing"
)

// Origins every test page is compiled against.
var (
	testStyle  = []string{"https://cdn.acme.example", "https://*.fonts.example"}
	testScript = []string{"https://js.acme.example"}
)

// inBody makes a whole page around body markup, with the form slot after it.
func inBody(body string) string {
	return "<!DOCTYPE html>\n<html>\n<head>\n<title>Acme</title>\n</head>\n<body>\n" + body +
		"\n<lintel-slot name=\"form\"></lintel-slot>\n</body>\n</html>\n"
}

// inHead makes a whole page around head markup.
func inHead(head string) string {
	return "<!DOCTYPE html>\n<html>\n<head>\n" + head +
		"\n</head>\n<body>\n<lintel-slot name=\"form\"></lintel-slot>\n</body>\n</html>\n"
}

// TestCompileRefuses checks every refusal: the error is ErrInvalid and its
// text names the problem for a designer.
func TestCompileRefuses(t *testing.T) {
	refused := []struct {
		name, src, want string
	}{
		{"refuses an inline script", inBody(`<script>alert(1)</script>`), "inline <script>"},
		{"refuses an empty script without src", inHead(`<script></script>`), "inline <script>"},
		{"refuses a script with src and content", inHead(`<script src="https://js.acme.example/a.js">init()</script>`), "<script src> must be empty"},
		{"refuses a script from another origin", inHead(`<script src="https://evil.example/a.js"></script>`), "https://evil.example is not one of the brand's script origins"},
		{"refuses a script from a style origin", inHead(`<script src="https://cdn.acme.example/a.js"></script>`), "not one of the brand's script origins"},
		{"refuses a relative script src", inHead(`<script src="/a.js"></script>`), "must be an absolute https URL on one of the brand's script origins"},
		{"refuses a script over http", inHead(`<script src="http://js.acme.example/a.js"></script>`), "absolute https URL"},
		{"refuses a script with user info in its URL", inHead(`<script src="https://js.acme.example@evil.example/a.js"></script>`), "absolute https URL"},
		{"refuses a javascript: script src", inHead(`<script src="javascript:alert(1)"></script>`), "javascript: URLs are not allowed"},
		{"refuses an event-handler attribute", inBody(`<div onclick="go()">x</div>`), "<div onclick> is not allowed"},
		{"refuses an upper-case event handler on body", "<body ONLOAD=go()><lintel-slot name=form></lintel-slot>", "<body onload>"},
		{"refuses an event handler added by a second body tag", "<body><div></div><body onpageshow=x><lintel-slot name=form></lintel-slot>", "onpageshow"},
		{"refuses a style attribute", inBody(`<p style="color:red">x</p>`), "<p style> is not allowed"},
		{"refuses a stylesheet from another origin", inHead(`<link rel="stylesheet" href="https://evil.example/a.css">`), "not one of the brand's style origins"},
		{"refuses a relative stylesheet", inHead(`<link rel="stylesheet" href="/a.css">`), "absolute https URL on one of the brand's style origins"},
		{"refuses a stylesheet without href", inHead(`<link rel="stylesheet">`), "needs an href"},
		{"refuses link rel preload", inHead(`<link rel="preload" href="https://cdn.acme.example/a.woff2" as="font">`), `<link rel="preload"> is not allowed`},
		{"refuses link rel mixing kinds", inHead(`<link rel="preconnect stylesheet" href="https://cdn.acme.example/a.css">`), "is not allowed: only stylesheet, icon and preconnect"},
		{"refuses link without rel", inHead(`<link href="https://cdn.acme.example/a.css">`), `<link rel=""> is not allowed`},
		{"refuses preconnect to an unlisted origin", inHead(`<link rel="preconnect" href="https://tracker.example">`), "not one of the brand's style or script origins"},
		{"refuses an icon from another origin", inHead(`<link rel="icon" href="https://evil.example/i.png">`), "not one of the brand's style origins"},
		{"refuses base", inHead(`<base href="https://evil.example/">`), "<base> is not allowed"},
		{"refuses meta refresh", inHead(`<meta http-equiv="refresh" content="0;url=https://evil.example">`), "<meta http-equiv> is not allowed"},
		{"refuses meta http-equiv of any kind", inHead(`<meta http-equiv="Content-Security-Policy" content="default-src *">`), "<meta http-equiv> is not allowed"},
		{"refuses a charset other than UTF-8", inHead(`<meta charset="utf-7">`), `<meta charset="utf-7">: the page is served as UTF-8`},
		{"refuses iframe", inBody(`<iframe src="https://www.acme.example/"></iframe>`), "<iframe> is not allowed"},
		{"refuses object", inBody(`<object data="https://cdn.acme.example/x.swf"></object>`), "<object> is not allowed"},
		{"refuses embed", inBody(`<embed src="https://cdn.acme.example/x.swf">`), "<embed> is not allowed"},
		{"refuses applet", inBody(`<applet code="X.class"></applet>`), "<applet> is not allowed"},
		{"refuses frameset", "<frameset><frame src=\"https://www.acme.example/\"></frameset>", "<frameset> is not allowed"},
		{"refuses a form of the page's own", inBody(`<form action="https://evil.example/"><p>x</p></form>`), "<form> is not allowed: Lintel owns every form"},
		{"refuses input", inBody(`<input name="password" type="password">`), "<input> is not allowed"},
		{"refuses button", inBody(`<button>Go</button>`), "<button> is not allowed"},
		{"refuses textarea", inBody(`<textarea></textarea>`), "<textarea> is not allowed"},
		{"refuses select", inBody(`<select><option>a</option></select>`), "<select> is not allowed"},
		{"refuses noscript", inBody(`<noscript><form action="https://evil.example/"><input name=p></form></noscript>`), "<noscript> is not allowed"},
		{"refuses plaintext", inBody(`<plaintext>`), "<plaintext> is not allowed"},
		{"refuses a javascript: link", inBody(`<a href="javascript:alert(1)">x</a>`), "javascript: URLs are not allowed"},
		{"refuses a javascript: link hidden by a tab", inBody(`<a href="java&#9;script:alert(1)">x</a>`), "javascript: URLs are not allowed"},
		{"refuses a javascript: link after spaces and controls", inBody("<a href=\" \x01JaVaScRiPt:alert(1)\">x</a>"), "javascript: URLs are not allowed"},
		{"refuses a javascript: link spelt with a named reference", inBody(`<a href="javascript&colon;alert(1)">x</a>`), "javascript: URLs are not allowed"},
		{"refuses a javascript: candidate hidden among srcset commas", inBody(`<img alt="" src="https://cdn.acme.example/a.png" srcset=",,,javascript:alert(1) 2x">`), "javascript: URLs are not allowed"},
		{"refuses a vbscript: link", inBody(`<a href="vbscript:msgbox(1)">x</a>`), "vbscript: URLs are not allowed"},
		{"refuses a data: link", inBody(`<a href="data:text/html,<script>alert(1)</script>">x</a>`), "data: URLs are allowed only for"},
		{"refuses an http link", inBody(`<a href="http://www.acme.example/">x</a>`), "links must be https, mailto: or a relative path"},
		{"refuses a link of another scheme", inBody(`<a href="ftp://files.acme.example/">x</a>`), "links must be https"},
		{"refuses an svg data: image", inBody(`<img src="data:image/svg+xml,<svg onload=alert(1)>" alt="">`), "data: URLs are allowed only for PNG, JPEG, GIF and WebP"},
		{"refuses an image from another origin", inBody(`<img src="https://evil.example/x.png" alt="">`), "not one of the brand's style origins"},
		{"refuses a relative image", inBody(`<img src="/logo.png" alt="">`), "absolute https URL on one of the brand's style origins"},
		{"refuses a srcset candidate from another origin", inBody(`<img src="https://cdn.acme.example/a.png" srcset="https://cdn.acme.example/a.png 1x, https://evil.example/a@2x.png 2x" alt="">`), "https://evil.example is not one"},
		{"refuses a picture source from another origin", inBody(`<picture><source srcset="https://evil.example/a.webp"><img src="https://cdn.acme.example/a.png" alt=""></picture>`), "<source srcset="},
		{"refuses an http poster", inBody(`<video poster="http://cdn.acme.example/p.png"></video>`), "<video poster=\"http://cdn.acme.example/p.png\"> must be an absolute https URL on one of the brand's style origins"},
		{"refuses a background from another origin", inBody(`<table background="https://evil.example/bg.png"><tr><td>x</td></tr></table>`), "<table background="},
		{"refuses a video source over http", inBody(`<video><source src="http://cdn.acme.example/v.mp4"></video>`), "<source src=\"http://cdn.acme.example/v.mp4\"> must be an absolute https URL"},
		{"refuses a javascript: background", "<body background=\"javascript:alert(1)\"><lintel-slot name=form></lintel-slot>", "<body background="},
		{"refuses an http ping", inBody(`<a href="/" ping="https://a.example/p http://b.example/p">x</a>`), "<a ping=\"http://b.example/p\">"},
		{"refuses a javascript: formaction", inBody(`<div formaction="javascript:alert(1)"></div>`), "javascript: URLs are not allowed"},
		{"refuses an xlink:href other than https", inBody(`<div xlink:href="javascript:alert(1)"></div>`), "<div xlink:href="},
		{"refuses svg", inBody(`<svg><script>alert(1)</script></svg>`), "<svg> is not allowed"},
		{"refuses math around an HTML integration point", inBody(`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`), "<math> is not allowed"},
		{"refuses math", inBody(`<math><mi>x</mi></math>`), "<math> is not allowed"},
		{"refuses the reserved marker text", inBody(`<p>__LINTEL_NONCE__</p>`), "__LINTEL_ is reserved"},
		{"refuses the reserved marker in any case", inBody(`<p data-x="__lintel_slot">x</p>`), "__LINTEL_ is reserved"},
		{"refuses the reserved marker spelt with character references", inBody(`<p>&#95;&#95;LINTEL_X</p>`), "__LINTEL_ is reserved"},
		{"refuses the reserved marker in an attribute spelt with references", inBody(`<p title="&#95;_lintel_x">x</p>`), "<p title>: the text __LINTEL_ is reserved"},
		{"refuses a page over 64 KiB", inBody(strings.Repeat("<p>acme</p>", MaxSize/11+1)), "at most 65536 (64 KiB)"},
		{"refuses a page that is not UTF-8", inBody("<p>caf\xe9</p>"), "not UTF-8"},
		{"refuses a page without form slot", "<!DOCTYPE html><title>x</title><p>hello</p>", "the page has no form slot"},
		{"refuses a second form slot", inBody(`<lintel-slot name="form"></lintel-slot>`), `the "form" slot appears again (first on line 7)`},
		{"refuses a second footer slot", inBody(`<lintel-slot name="footer"></lintel-slot><lintel-slot name="footer"></lintel-slot>`), `the "footer" slot appears again`},
		{"refuses an unknown slot", inBody(`<lintel-slot name="header"></lintel-slot>`), `<lintel-slot name="header"> is not a slot Lintel fills`},
		{"refuses a slot without name", inBody(`<lintel-slot></lintel-slot>`), "<lintel-slot> needs a name"},
		{"refuses a slot with children", "<body><lintel-slot name=form><p>Sign in</p></lintel-slot>", `the "form" slot must be empty`},
		{"refuses an unclosed head slot that swallows the head", inHead(`<lintel-slot name="head"><title>x</title>`), `the "head" slot must be empty`},
		{"refuses a slot with other attributes", inBody(`<lintel-slot name="footer" class="f"></lintel-slot>`), "<lintel-slot class>: a slot takes only a name"},
		{"refuses an unquoted self-closing slot name", "<body><lintel-slot name=form/>", `quote the name, as name="form"`},
		{"refuses the head slot in body", inBody(`<lintel-slot name="head"></lintel-slot>`), `the "head" slot must be directly inside <head>`},
		{"refuses the form slot in a paragraph", "<body><p>Hi <lintel-slot name=form></lintel-slot></p>", `the "form" slot cannot be inside <p>`},
		{"refuses the form slot in a link", "<body><a href=/><lintel-slot name=form></lintel-slot></a>", `the "form" slot cannot be inside <a>`},
		{"refuses the footer slot in a heading", inBody("<h2><lintel-slot name=footer></lintel-slot></h2>"), `the "footer" slot cannot be inside <h2>`},
		{"refuses a slot in a template", "<body><template><div><lintel-slot name=form></lintel-slot></div></template>", `the "form" slot cannot be inside <template>`},
		{"refuses elements nested over 512 deep", inBody(strings.Repeat("<div>", 600)), "more than 512 deep"},
		{"refuses markup browsers read differently", "<body><a><table><a>x</a></table></a><lintel-slot name=form></lintel-slot>", "browsers would read the markup near"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			tpl, err := Compile(c.src, testStyle, testScript)
			if err == nil {
				t.Fatalf("Compile accepted the page; want a problem with %q", c.want)
			}
			if tpl != nil {
				t.Error("Compile returned a template with its error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not name the problem %q:\n%v", c.want, err)
			}
			if len(Problems(err)) == 0 {
				t.Errorf("Problems(err) is empty for %v", err)
			}
			if Check(c.src, testStyle, testScript) == nil {
				t.Error("Check accepted what Compile refused")
			}
		})
	}
}

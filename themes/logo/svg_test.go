package logo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// forbidden are strings no sanitised hostile SVG may contain, once the
// namespace declaration every output starts with is taken out.
var forbidden = []string{"script", "javascript:", "http", "foreignObject", "onload", "<!DOCTYPE", "ENTITY", "evil", "data:", "image", "@import", "onclick", "alert"}

// withoutNS removes the root's SVG namespace declaration, the one "http"
// every output must contain.
func withoutNS(out []byte) string {
	return strings.Replace(string(out), ` xmlns="`+svgNS+`"`, "", 1)
}

func TestSanitizeSVGNeutralisesHostileFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.svg"))
	if err != nil || len(files) < 11 {
		t.Fatalf("hostile samples: %v, %d files", err, len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := SanitizeSVG(in)
			if errors.Is(err, ErrUnsafe) {
				checkGolden(t, file+".golden", []byte("refused: ErrUnsafe\n"))
				return
			}
			if err != nil {
				t.Fatalf("neither sanitised nor refused as unsafe: %v", err)
			}
			for _, bad := range forbidden {
				if strings.Contains(strings.ToLower(withoutNS(out)), strings.ToLower(bad)) {
					t.Errorf("output contains %q:\n%s", bad, out)
				}
			}
			again, err := SanitizeSVG(out)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("not a fixed point (%v):\n%s\n%s", err, out, again)
			}
			checkGolden(t, file+".golden", append(out, '\n'))
		})
	}
}

func TestSanitizeSVG(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "keeps a plain logo, canonically",
			in:   "<?xml version=\"1.0\"?>\n<svg viewBox='0 0 10 10' xmlns='http://www.w3.org/2000/svg' width='10'>\n  <rect fill='#0057b8' width='10' height=\"10\"></rect>\n</svg>\n",
			want: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10"><rect fill="#0057b8" height="10" width="10"/></svg>`,
		},
		{
			name: "adds the namespace an SVG forgot",
			in:   `<svg><path d="M0 0h1v1z"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1v1z"/></svg>`,
		},
		{
			name: "keeps gradients and local paint references",
			in:   `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="a"><stop offset="0" stop-color="#f00"/></linearGradient><linearGradient id="b" xlink:href="#a"/></defs><rect fill="url(#b)" mask="url('#m')"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="a"><stop offset="0" stop-color="#f00"/></linearGradient><linearGradient href="#a" id="b"/></defs><rect fill="url(#b)" mask="url('#m')"/></svg>`,
		},
		{
			name: "prefers href to xlink:href",
			in:   `<svg xmlns:xlink="http://www.w3.org/1999/xlink"><g id="a"/><g id="b"/><use xlink:href="#a" href="#b"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><g id="a"/><g id="b"/><use href="#b"/></svg>`,
		},
		{
			name: "drops a use without a local target",
			in:   `<svg><use href="#nowhere"/><use/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"/>`,
		},
		{
			name: "keeps text and merges its runs",
			in:   "<svg><text x=\"1\">A &amp; <![CDATA[B <c>]]><script>x</script>&#x44;\r\n</text></svg>",
			want: "<svg xmlns=\"http://www.w3.org/2000/svg\"><text x=\"1\">A &amp; B &lt;c&gt;D\n</text></svg>",
		},
		{
			name: "escapes whitespace in attribute values so they read back the same",
			in:   "<svg><path d=\"M0&#x9;0&#xA;h1\"/></svg>",
			want: "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0&#x9;0&#xA;h1\"/></svg>",
		},
		{
			name: "inlines class rules under the element's own style",
			in:   `<svg><style>/* Illustrator */ .cls-1{fill:#E30613} rect.cls-1 { stroke : blue !important } #x{fill:green} g > .cls-1 {fill:red}</style><rect id="x" class="cls-1" style="stroke:#000"/><circle class="cls-1"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><rect class="cls-1" id="x" style="fill:green;stroke:#000"/><circle class="cls-1" style="fill:#E30613"/></svg>`,
		},
		{
			name: "filters style attributes by property and value",
			in:   `<svg><rect style="fill: #fff ; position:fixed; stroke:url(#g); color:rgb(1, 2, 3); opacity:url(x); font-family: 'Open Sans'"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:#fff;stroke:url(#g);color:rgb(1, 2, 3);font-family:'Open Sans'"/></svg>`,
		},
		{
			name: "unwraps links and keeps what they held",
			in:   `<svg><a href="https://example.com"><g><rect/></g></a></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><g><rect/></g></svg>`,
		},
		{
			name: "drops unknown elements with their subtree",
			in:   `<svg><filter id="f"><feImage href="https://x"/></filter><pattern><rect/></pattern><rect/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`,
		},
		{
			name: "drops values calling functions other than colours, transforms and url",
			in:   `<svg><rect fill="image-set(x)" stroke="rgb(0,0,0)" transform="translate(1 2) rotate(3)" width="calc(1px)"/></svg>`,
			want: `<svg xmlns="http://www.w3.org/2000/svg"><rect stroke="rgb(0,0,0)" transform="translate(1 2) rotate(3)"/></svg>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SanitizeSVG([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			again, err := SanitizeSVG(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("not a fixed point (%v): %s", err, again)
			}
		})
	}
}

func TestSanitizeSVGRefuses(t *testing.T) {
	deep := strings.Repeat("<g>", maxDepth) + strings.Repeat("</g>", maxDepth)
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"refuses a DOCTYPE", `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>`, ErrUnsafe},
		{"refuses a DOCTYPE inside the document", `<svg><!DOCTYPE x><rect/></svg>`, ErrUnsafe},
		{"refuses an undeclared entity", `<svg><text>&nbsp;</text></svg>`, ErrFormat},
		{"refuses a root other than svg", `<html><svg/></html>`, ErrFormat},
		{"refuses an svg root in another namespace", `<svg xmlns="http://www.w3.org/1999/xhtml"/>`, ErrFormat},
		{"refuses malformed XML", `<svg><rect></svg>`, ErrFormat},
		{"refuses a truncated document", `<svg><rect/>`, ErrFormat},
		{"refuses another encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><svg/>`, ErrFormat},
		{"refuses nesting deeper than 64", "<svg>" + deep + "</svg>", ErrTooLarge},
		{"refuses more than 10000 elements", "<svg>" + strings.Repeat("<rect/>", maxElements) + "</svg>", ErrTooLarge},
		{"refuses more than MaxBytes", "<svg>" + strings.Repeat(" ", MaxBytes) + "</svg>", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SanitizeSVG([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v (%s), want %v", err, out, tt.want)
			}
		})
	}
}

func TestSanitizeSVGDropsUseChains(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "hostile", "use-bomb.svg"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := SanitizeSVG(in)
	if err != nil {
		t.Fatal(err)
	}
	// Only the uses of #a, which holds no use, may stay.
	if n, m := strings.Count(string(out), "<use"), strings.Count(string(out), `<use href="#a"/>`); n != m || n != 8 {
		t.Errorf("kept %d uses, %d of them to #a:\n%s", n, m, out)
	}
}

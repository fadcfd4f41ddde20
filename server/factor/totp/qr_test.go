package totp

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenURI is a fixed key URI: RFC 6238's SHA1 seed for Acme's alice.
const goldenURI = "otpauth://totp/Acme:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&algorithm=SHA1&digits=6&period=30"

func TestQRGolden(t *testing.T) {
	got, err := qrSVG(goldenURI)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "qr.svg.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("SVG differs from %s (run go test -update if the change is intended)\ngot:  %s\nwant: %s", path, got, want)
	}
}

// pathRun is one "M x y h w v1 h-w z" rectangle of the path.
var pathRun = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// TestQRDrawsExactlyTheDarkModules reads the path back into a grid and
// compares it with the module matrix of the QR code, module by module.
func TestQRDrawsExactlyTheDarkModules(t *testing.T) {
	for _, uri := range []string{goldenURI, "otpauth://totp/" + strings.Repeat("x", 300), "A"} {
		t.Run(strconv.Itoa(len(uri))+" bytes", func(t *testing.T) {
			svg, err := qrSVG(uri)
			if err != nil {
				t.Fatal(err)
			}
			code, err := qr.Encode(uri, qr.M, qr.Auto)
			if err != nil {
				t.Fatal(err)
			}
			n := code.Bounds().Dx()
			size := n + 2*quietZone
			if !strings.Contains(svg, `viewBox="0 0 `+strconv.Itoa(size)+" "+strconv.Itoa(size)+`"`) {
				t.Fatalf("viewBox is not the code plus a %d-module quiet zone", quietZone)
			}
			d := regexp.MustCompile(`<path fill="#000" d="([^"]*)"/>`).FindStringSubmatch(svg)
			if d == nil {
				t.Fatal("no dark path")
			}
			drawn := make([][]bool, size)
			for i := range drawn {
				drawn[i] = make([]bool, size)
			}
			rest, runs := d[1], 0
			for rest != "" {
				m := pathRun.FindStringSubmatch(rest)
				if m == nil || m[3] != m[4] {
					t.Fatalf("path is not rectangles of one row at %.20q", rest)
				}
				x, _ := strconv.Atoi(m[1])
				y, _ := strconv.Atoi(m[2])
				w, _ := strconv.Atoi(m[3])
				for i := x; i < x+w; i++ {
					if drawn[y][i] {
						t.Fatalf("module %d,%d drawn twice", i, y)
					}
					drawn[y][i] = true
				}
				if x+w < size && drawn[y][x+w] || x > 0 && drawn[y][x-1] {
					t.Fatalf("run at %d,%d touches another: runs are not merged", x, y)
				}
				rest, runs = rest[len(m[0]):], runs+1
			}
			for y := range size {
				for x := range size {
					inCode := x >= quietZone && y >= quietZone && x < quietZone+n && y < quietZone+n
					want := inCode && dark(code.At(x-quietZone, y-quietZone))
					if drawn[y][x] != want {
						t.Fatalf("module %d,%d drawn %v, want %v", x, y, drawn[y][x], want)
					}
				}
			}
			if runs == 0 {
				t.Fatal("nothing drawn")
			}
		})
	}
}

// TestQRIsSelfContained parses the SVG as XML and checks that it holds
// only the svg, rect and path elements and the attributes the page may
// rely on: no script, style, link, foreign content or size.
func TestQRIsSelfContained(t *testing.T) {
	svg, err := qrSVG(goldenURI)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string][]string{
		"svg":  {"xmlns", "viewBox", "role", "shape-rendering"},
		"rect": {"width", "height", "fill"},
		"path": {"fill", "d"},
	}
	dec := xml.NewDecoder(strings.NewReader(svg))
	var elements []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("element %s is outside the SVG namespace", tok.Name.Local)
			}
			elements = append(elements, tok.Name.Local)
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Name.Local] = a.Value
				if !strings.Contains(strings.Join(allowed[tok.Name.Local], " "), a.Name.Local) {
					t.Errorf("<%s> has attribute %s", tok.Name.Local, a.Name.Local)
				}
			}
			if tok.Name.Local == "svg" && (attrs["role"] != "img" || attrs["shape-rendering"] != "crispEdges") {
				t.Errorf("svg attributes %v", attrs)
			}
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				t.Errorf("text %q in the SVG", tok)
			}
		case xml.ProcInst, xml.Directive, xml.Comment:
			t.Errorf("unexpected %T", tok)
		}
	}
	if strings.Join(elements, ",") != "svg,rect,path" {
		t.Errorf("elements %v, want svg, rect, path", elements)
	}
}

func TestQRRefusesContentTooLongForAQRCode(t *testing.T) {
	if _, err := qrSVG(strings.Repeat("x", 3000)); err == nil {
		t.Fatal("3000 bytes made a QR code")
	}
}

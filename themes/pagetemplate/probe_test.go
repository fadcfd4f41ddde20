package pagetemplate

import (
	"testing"
)

func TestProbe(t *testing.T) {
	for _, src := range []string{
		`<a><table><a>x</a></table></a><lintel-slot name=form></lintel-slot>`,
		`<frameset><frame src="https://x.example"></frameset>`,
		`<head><lintel-slot name="form"></lintel-slot></head><body></body>`,
		`<table><lintel-slot name=footer></lintel-slot><tr><td>x</td></tr></table><lintel-slot name=form>`,
		`<lintel-slot name=form>`,
		`<p><lintel-slot name=form></lintel-slot>`,
		`<LINTEL-SLOT NAME=form></LINTEL-SLOT>`,
		"\r\n\r\n<div\r\nonclick=x>\r<lintel-slot name=form/>",
		`<div>&#95;_LINTEL_X</div><lintel-slot name=form/>`,
		`<select><lintel-slot name=form/></select>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<lintel-slot name=form/></body><lintel-slot name=footer/>`,
		`<lintel-slot name=form/></html><lintel-slot name=footer/><!-- x -->`,
	} {
		_, err := Compile(src, nil, nil)
		t.Logf("%q\n%v\n", src, err)
	}
}

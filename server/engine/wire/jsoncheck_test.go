package wire

// Cross-checks against encoding/json: what we write is JSON and means
// what we intend, and what encoding/json writes for the same values we
// read back.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const generated = 2000 // values per cross-check

// flowWant is the JSON value AppendJSON means for f, as json.Unmarshal
// into any would give it back.
func flowWant(f Flow) map[string]any {
	m := map[string]any{"id": f.ID, "step": string(f.Step)}
	if f.ExpiresAt != 0 {
		m["expires_at"] = time.Unix(f.ExpiresAt, 0).UTC().Format(time.RFC3339)
	}
	m["fields"] = listWant(f.Fields, func(x Field) any {
		fm := map[string]any{"name": x.Name, "type": string(x.Type)}
		putStr(fm, "label", x.Label)
		if len(x.LabelParams) > 0 {
			fm["label_params"] = paramsWant(x.LabelParams)
		}
		putTrue(fm, "required", x.Required)
		putTrue(fm, "secret", x.Secret)
		if !x.Secret {
			putStr(fm, "value", x.Value)
		}
		if len(x.Options) > 0 {
			fm["options"] = listWant(x.Options, func(o Option) any {
				om := map[string]any{"value": o.Value}
				putStr(om, "label", o.Label)
				return om
			})
		}
		if c := x.Constraints; c != (Constraints{}) {
			cm := map[string]any{}
			if c.MinLength != 0 {
				cm["min_length"] = float64(c.MinLength)
			}
			if c.MaxLength != 0 {
				cm["max_length"] = float64(c.MaxLength)
			}
			putStr(cm, "pattern", c.Pattern)
			putStr(cm, "autocomplete", c.Autocomplete)
			putStr(cm, "input_mode", c.InputMode)
			fm["constraints"] = cm
		}
		return fm
	})
	m["actions"] = listWant(f.Actions, func(a Action) any {
		am := map[string]any{"name": a.Name}
		putStr(am, "method", a.Method)
		putStr(am, "href", a.Href)
		putStr(am, "label", a.Label)
		if len(a.LabelParams) > 0 {
			am["label_params"] = paramsWant(a.LabelParams)
		}
		putTrue(am, "primary", a.Primary)
		return am
	})
	m["messages"] = listWant(f.Messages, func(x Message) any {
		mm := map[string]any{"id": x.ID}
		if len(x.Params) > 0 {
			mm["params"] = paramsWant(x.Params)
		}
		putStr(mm, "level", x.Level)
		putStr(mm, "field", x.Field)
		return mm
	})
	if c := f.Context; c != (Context{}) {
		cm := map[string]any{}
		if c.App != (App{}) {
			am := map[string]any{}
			putStr(am, "id", c.App.ID)
			putStr(am, "name", c.App.Name)
			cm["app"] = am
		}
		putStr(cm, "brand", c.Brand)
		putStr(cm, "user_hint", c.UserHint)
		putStr(cm, "locale", c.Locale)
		putStr(cm, "dir", c.Dir)
		m["context"] = cm
	}
	putStr(m, "redirect", f.Redirect)
	return m
}

func listWant[T any](xs []T, each func(T) any) []any {
	out := []any{}
	for _, x := range xs {
		out = append(out, each(x))
	}
	return out
}

func paramsWant(ps []Param) map[string]any {
	m := map[string]any{}
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

func putStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func putTrue(m map[string]any, k string, v bool) {
	if v {
		m[k] = true
	}
}

// checkOutput checks that b is JSON, safe in HTML, and means want.
func checkOutput(t *testing.T, b []byte, want any) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	if i := bytes.IndexAny(b, "<>&\u2028\u2029"); i >= 0 {
		t.Fatalf("unescaped %q at %d in %s", b[i], i, b)
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, normalize(want)) {
		t.Fatalf("%s\nmeans %#v\nwant  %#v", b, got, want)
	}
}

// normalize turns want into what json.Unmarshal into any gives (numbers
// as float64, maps as map[string]any).
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func TestEncodingMeansWhatJSONReads(t *testing.T) {
	g := newGen(1)
	for range generated {
		f := g.flow()
		checkOutput(t, f.AppendJSON(nil), flowWant(f))

		s := g.start()
		sm := map[string]any{"client_id": s.ClientID}
		for _, m := range s.members()[1:] {
			putStr(sm, m.key, *m.val)
		}
		checkOutput(t, s.AppendJSON(nil), sm)

		c := g.continueRequest()
		cm := map[string]any{"action": c.Action}
		if len(c.Values) > 0 {
			cm["values"] = paramsWant(c.Values)
		}
		checkOutput(t, c.AppendJSON(nil), cm)
	}
	checkOutput(t, sampleFlow().AppendJSON(nil), flowWant(sampleFlow()))
}

func TestDecodingReadsWhatJSONWrites(t *testing.T) {
	g := newGen(2)
	for i := range generated {
		want := g.flow()
		if y := time.Unix(want.ExpiresAt, 0).UTC().Year(); y < 1970 || y > 9000 {
			want.ExpiresAt = 0 // keep local times within what encoding/json writes
		}
		zone := time.FixedZone("", (g.r.IntN(28*60+1)-14*60)*60)
		b, err := json.Marshal(mirrorFlow(want, zone, g.r.IntN(int(time.Second))))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseFlow(b)
		if err != nil {
			t.Fatalf("ParseFlow(%s): %v", b, err)
		}
		for _, m := range want.Messages {
			sortParams(m.Params)
		}
		for _, x := range want.Fields {
			sortParams(x.LabelParams)
		}
		for _, a := range want.Actions {
			sortParams(a.LabelParams)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("#%d: ParseFlow(%s)\n got %#v\nwant %#v", i, b, got, want)
		}

		s := g.start()
		b, _ = json.Marshal(jsonStart(s))
		if got, err := ParseStartRequest(b); err != nil || got != s {
			t.Fatalf("ParseStartRequest(%s) = %#v, %v", b, got, err)
		}

		c := g.continueRequest()
		b, _ = json.Marshal(jsonContinue{Action: c.Action, Values: paramMap(c.Values)})
		sortParams(c.Values)
		if got, err := ParseContinueRequest(b); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("ParseContinueRequest(%s) = %#v, %v, want %#v", b, got, err, c)
		}
	}
}

package hooksig

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1733616000, 0)
	body := []byte(`{"a":1}`)
	oldS, newS := []byte("old-secret"), []byte("new-secret")
	h := Sign(now, body, newS, oldS)
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		secret []byte
		at     time.Time
		want   error
	}{
		{"the new secret", h, body, newS, now, nil},
		{"the old secret during a rotation", h, body, oldS, now.Add(time.Minute), nil},
		{"another secret", h, body, []byte("x"), now, ErrMismatch},
		{"a changed body", h, []byte(`{"a":2}`), newS, now, ErrMismatch},
		{"too late", h, body, newS, now.Add(DefaultTolerance + time.Second), ErrStale},
		{"from the future", h, body, newS, now.Add(-DefaultTolerance - time.Second), ErrStale},
		{"no v1", "t=1733616000", body, newS, now, ErrMalformed},
		{"no t", "v1=00", body, newS, now, ErrMalformed},
		{"not hex", "t=1733616000,v1=zz", body, newS, now, ErrMalformed},
		{"garbage", "garbage", body, newS, now, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.header, tc.body, tc.secret, tc.at, 0); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1733616000,v1=00ff")
	f.Add("t=,v1=")
	f.Fuzz(func(t *testing.T, header string) {
		_ = Verify(header, []byte("body"), []byte("secret"), time.Unix(1733616000, 0), 0)
	})
}

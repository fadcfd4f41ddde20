package totp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// step is one use of a code in a scenario.
type step struct {
	advance time.Duration // moves the clock before this step
	offset  int           // the code is the seed's at now + offset periods
	wantErr error         // nil: accepted
}

func TestVerify(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b.Open(t))
			tests := []struct {
				name  string
				opts  []Option
				steps []step
			}{
				{"accepts the code of the current step", nil, []step{{0, 0, nil}}},
				{"accepts the code of one step before", nil, []step{{0, -1, nil}}},
				{"accepts the code of one step after", nil, []step{{0, +1, nil}}},
				{"refuses the code of two steps before", nil, []step{{0, -2, ErrCodeInvalid}}},
				{"refuses the code of two steps after", nil, []step{{0, +2, ErrCodeInvalid}}},
				{"refuses one step off with no skew", []Option{Skew(0)}, []step{{0, -1, ErrCodeInvalid}, {0, +1, ErrCodeInvalid}, {0, 0, nil}}},
				{"accepts two steps off with a skew of two", []Option{Skew(2)}, []step{{0, -2, nil}, {time.Minute, +2, nil}}},
				{"refuses three steps off with a skew of two", []Option{Skew(2)}, []step{{0, -3, ErrCodeInvalid}, {0, +3, ErrCodeInvalid}}},
				{"refuses replay of the same code", nil, []step{{0, 0, nil}, {0, 0, ErrCodeReused}}},
				{"refuses the same code a step later, still inside the window", nil, []step{{0, 0, nil}, {30 * time.Second, -1, ErrCodeReused}}},
				{"refuses an older code after a newer one", nil, []step{{0, 0, nil}, {0, -1, ErrCodeReused}}},
				{"refuses the current code after the next step's was used", nil, []step{{0, +1, nil}, {0, 0, ErrCodeReused}}},
				{"accepts the next step's code after a use", nil, []step{{0, 0, nil}, {30 * time.Second, 0, nil}}},
				{"accepts a newer code inside the window after an older one", nil, []step{{0, -1, nil}, {0, 0, nil}, {0, +1, nil}}},
				{"refuses old codes after the clock steps back", nil, []step{{0, 0, nil}, {-5 * time.Minute, 0, ErrCodeReused}}},
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					w.clk.Set(t0)
					s := w.service(t, tt.opts...)
					id := "cred_" + strings.Repeat("v", i+1)
					seed, err := ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "", 0, 0)
					if err != nil {
						t.Fatal(err)
					}
					stored, err := s.Seal(id, seed)
					if err != nil {
						t.Fatal(err)
					}
					for j, st := range tt.steps {
						now := w.clk.Advance(st.advance)
						at := now.Add(time.Duration(st.offset) * 30 * time.Second)
						code := codeAt(t, seed, at)
						next, err := s.Verify(context.Background(), nil, id, stored, code)
						if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
							t.Fatalf("step %d: err = %v, want %v", j, err, st.wantErr)
						}
						if err != nil {
							if next != "" {
								t.Errorf("step %d: refused code returned a next value", j)
							}
							if strings.Contains(err.Error(), code) {
								t.Errorf("step %d: error quotes the code: %v", j, err)
							}
							continue
						}
						assertRecorded(t, stored, next, at.Unix()/30)
						stored = next
					}
				})
			}
		})
	}
}

// assertRecorded checks that next is stored with last set to step and
// nothing else changed (the sealed seed is kept, not sealed again).
func assertRecorded(t *testing.T, stored, next string, step int64) {
	t.Helper()
	before, err := decode(stored)
	if err != nil {
		t.Fatal(err)
	}
	after, err := decode(next)
	if err != nil {
		t.Fatalf("next does not decode: %v", err)
	}
	if after.Last != step {
		t.Errorf("recorded step %d, want %d", after.Last, step)
	}
	if after.V != before.V || after.Alg != before.Alg || after.Digits != before.Digits || after.Period != before.Period || after.Seed != before.Seed {
		t.Errorf("next changed more than the step: %+v, was %+v", after, before)
	}
}

func TestVerifyImportedSeeds(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b.Open(t))
			s := w.service(t)
			// A seed from another system: SHA256, 8 digits, 60 s, written
			// in lowercase groups with padding.
			seed, err := ParseSeed("gezd gnbv gy3t qojq gezd gnbv gy3t qojq gezd gnbv gy3t qojq ge== ====", "sha-256", 8, 60)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Seal("cred_imported", seed)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name    string
				at      time.Duration // from now
				wantErr error
			}{
				{"refuses the code of two 60 s steps before", -120 * time.Second, ErrCodeInvalid},
				{"accepts the code of one 60 s step before", -60 * time.Second, nil},
				{"accepts the current code", 0, nil},
				{"accepts the code of one 60 s step after", 60 * time.Second, nil},
				{"refuses the code of two 60 s steps after", 120 * time.Second, ErrCodeInvalid},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code := codeAt(t, seed, w.clk.Now().Add(tt.at))
					if len(code) != 8 {
						t.Fatalf("code %q is not 8 digits", code)
					}
					next, err := s.Verify(context.Background(), nil, "cred_imported", stored, code)
					if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					if err == nil {
						stored = next // in order: each accepted step is later
					}
				})
			}
			t.Run("refuses a 6-digit code for an 8-digit seed", func(t *testing.T) {
				code := codeAt(t, seed, w.clk.Now().Add(60*time.Second))
				if _, err := s.Verify(context.Background(), nil, "cred_imported", stored, code[2:]); !errors.Is(err, ErrCodeInvalid) {
					t.Fatalf("err = %v, want ErrCodeInvalid", err)
				}
			})
		})
	}
}

// TestVerifyRFC6238 checks the arithmetic against the test vectors of
// RFC 6238 appendix B (8 digits, 30 s; the seed of each algorithm is
// "1234567890" repeated to its length).
func TestVerifyRFC6238(t *testing.T) {
	seeds := map[string]string{
		SHA1:   "12345678901234567890",
		SHA256: "12345678901234567890123456789012",
		SHA512: "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		unix int64
		alg  string
		code string
	}{
		{59, SHA1, "94287082"}, {59, SHA256, "46119246"}, {59, SHA512, "90693936"},
		{1111111109, SHA1, "07081804"}, {1111111109, SHA256, "68084774"}, {1111111109, SHA512, "25091201"},
		{1111111111, SHA1, "14050471"}, {1111111111, SHA256, "67062674"}, {1111111111, SHA512, "99943326"},
		{1234567890, SHA1, "89005924"}, {1234567890, SHA256, "91819424"}, {1234567890, SHA512, "93441116"},
		{2000000000, SHA1, "69279037"}, {2000000000, SHA256, "90698825"}, {2000000000, SHA512, "38618901"},
		{20000000000, SHA1, "65353130"}, {20000000000, SHA256, "77737706"}, {20000000000, SHA512, "47863826"},
	}
	w := newWorld(t, storetest.SQLite().Open(t))
	s := w.service(t, Skew(0))
	for _, v := range vectors {
		t.Run(v.alg+"@"+time.Unix(v.unix, 0).UTC().Format(time.RFC3339), func(t *testing.T) {
			stored, err := s.Seal("cred_rfc", Seed{Key: []byte(seeds[v.alg]), Algorithm: v.alg, Digits: 8, Period: 30})
			if err != nil {
				t.Fatal(err)
			}
			w.clk.Set(time.Unix(v.unix, 0))
			if _, err := s.Verify(context.Background(), nil, "cred_rfc", stored, v.code[:4]+"-"+v.code[4:]); err != nil {
				t.Fatalf("the RFC's code does not verify: %v", err)
			}
		})
	}
}

func TestVerifyRefusals(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b.Open(t))
			s := w.service(t)
			seed, err := ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", SHA1, 6, 30)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Seal("cred_alice", seed)
			if err != nil {
				t.Fatal(err)
			}
			good := codeAt(t, seed, t0)
			wrong := string('0'+(good[0]-'0'+1)%10) + good[1:]
			tests := []struct {
				name             string
				id, stored, code string
				want, alsoWant   error
				wantInvalid      bool
			}{
				{"refuses a wrong code", "cred_alice", stored, wrong, ErrCodeInvalid, nil, false},
				{"refuses letters", "cred_alice", stored, "abcdef", ErrCodeInvalid, nil, false},
				{"refuses too few digits", "cred_alice", stored, good[:5], ErrCodeInvalid, nil, false},
				{"refuses too many digits", "cred_alice", stored, good + "0", ErrCodeInvalid, nil, false},
				{"refuses an empty code", "cred_alice", stored, "", ErrCodeInvalid, nil, false},
				{"refuses a seed sealed for another credential", "cred_bob", stored, good, ErrMalformed, secrets.ErrDecrypt, false},
				{"checks the code's shape before opening the seed", "cred_bob", stored, "12345", ErrCodeInvalid, nil, false},
				{"refuses an unreadable stored value", "cred_alice", "not json", good, ErrMalformed, nil, false},
				{"refuses a stored value with its seed cut short", "cred_alice", cutSeed(t, stored), good, ErrMalformed, secrets.ErrDecrypt, false},
				{"refuses an empty credential ID", "", stored, good, nil, nil, true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					next, err := s.Verify(context.Background(), nil, tt.id, tt.stored, tt.code)
					switch {
					case tt.wantInvalid:
						if !invalid.Is(err) {
							t.Fatalf("err = %v, want an *invalid.Error", err)
						}
					case !errors.Is(err, tt.want):
						t.Fatalf("err = %v, want %v", err, tt.want)
					}
					if tt.alsoWant != nil && !errors.Is(err, tt.alsoWant) {
						t.Errorf("err = %v, want it to wrap %v too", err, tt.alsoWant)
					}
					if next != "" {
						t.Error("a refusal returned a next value")
					}
					for _, secret := range []string{good, seed.Base32(), tt.stored} {
						if secret != "" && strings.Contains(err.Error(), secret) {
							t.Errorf("error quotes a secret: %v", err)
						}
					}
				})
			}
		})
	}
}

func TestVerifyInsideTheCallersTransaction(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b.Open(t))
			s := w.service(t)
			seed, err := ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", SHA1, 6, 30)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Seal("cred_tx", seed)
			if err != nil {
				t.Fatal(err)
			}
			var next string
			err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				next, err = s.Verify(ctx, tx, "cred_tx", stored, codeAt(t, seed, t0))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			assertRecorded(t, stored, next, t0.Unix()/30)
		})
	}
}

// cutSeed returns stored with its sealed seed cut to half its length:
// well-formed, but it does not open.
func cutSeed(t *testing.T, stored string) string {
	t.Helper()
	r, err := decode(stored)
	if err != nil {
		t.Fatal(err)
	}
	r.Seed = r.Seed[:len(r.Seed)/2/4*4]
	out, err := r.encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

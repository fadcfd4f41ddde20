package totp

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestSeal(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := newWorld(t, b.Open(t)).service(t)
			longest := Seed{Key: make([]byte, MaxKeyBytes), Algorithm: SHA512, Digits: 8, Period: MaxPeriod}
			for i := range longest.Key {
				longest.Key[i] = byte(i)
			}
			usual := Seed{Key: []byte("12345678901234567890"), Algorithm: SHA1, Digits: 6, Period: 30}
			tests := []struct {
				name   string
				id     string
				seed   Seed
				fields []string // refused fields; nil when sealed
			}{
				{"seals a new seed", "cred_a", usual, nil},
				{"seals the longest seed well inside a credential", "cred_b", longest, nil},
				{"refuses an empty credential ID", "", usual, []string{"credential_id"}},
				{"refuses a credential ID with a space", "cred a", usual, []string{"credential_id"}},
				{"refuses a credential ID with a control character", "cred\x00", usual, []string{"credential_id"}},
				{"refuses an overlong credential ID", strings.Repeat("c", maxCredentialID+1), usual, []string{"credential_id"}},
				{"refuses a short key", "cred_c", Seed{Key: make([]byte, 9), Algorithm: SHA1, Digits: 6, Period: 30}, []string{"secret"}},
				{"refuses a zero seed", "cred_d", Seed{}, []string{"secret", "algorithm", "digits", "period"}},
				{"names the ID and the seed together", "", Seed{Key: usual.Key, Algorithm: "MD5", Digits: 6, Period: 30}, []string{"credential_id", "algorithm"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					stored, err := s.Seal(tt.id, tt.seed)
					if tt.fields != nil {
						var fields []string
						for _, e := range invalid.All(err) {
							fields = append(fields, e.Field)
						}
						if !slices.Equal(fields, tt.fields) || stored != "" {
							t.Fatalf("Seal = %q, %v; want refusal of %v", stored, err, tt.fields)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if len(stored) > 400 {
						t.Errorf("stored is %d bytes, want at most 400", len(stored))
					}
					for _, r := range stored {
						if r < 0x20 || r > 0x7e {
							t.Fatalf("stored holds %q, not printable ASCII", r)
						}
					}
					if strings.Contains(stored, tt.seed.Base32()[:16]) || strings.Contains(stored, string(tt.seed.Key)) {
						t.Error("stored holds the seed in clear")
					}
					r, err := decode(stored)
					if err != nil {
						t.Fatalf("stored does not decode: %v", err)
					}
					if r.Alg != tt.seed.Algorithm || r.Digits != tt.seed.Digits || r.Period != tt.seed.Period || r.Last != 0 {
						t.Errorf("stored parameters %+v, want those of %v and no step", r, tt.seed)
					}
					again, err := s.Seal(tt.id, tt.seed)
					if err != nil || again == stored {
						t.Errorf("sealing twice gave the same value (%v): nonces must differ", err)
					}
				})
			}
		})
	}
}

func TestDecodeRefusesWhatEncodeWouldNotWrite(t *testing.T) {
	valid := `{"v":1,"alg":"SHA1","digits":6,"period":30,"last":59000000,"seed":"AQVrMTIzNDU2Nzg5MDEy"}`
	if _, err := decode(valid); err != nil {
		t.Fatalf("the valid value does not decode: %v", err)
	}
	tests := []struct{ name, stored string }{
		{"empty", ""},
		{"not JSON", "seed"},
		{"JSON null", "null"},
		{"another version", strings.Replace(valid, `"v":1`, `"v":2`, 1)},
		{"an unknown field", strings.Replace(valid, `{`, `{"counter":1,`, 1)},
		{"data after the object", valid + "{}"},
		{"MD5", strings.Replace(valid, `"SHA1"`, `"MD5"`, 1)},
		{"a lowercase algorithm", strings.Replace(valid, `"SHA1"`, `"sha1"`, 1)},
		{"10 digits", strings.Replace(valid, `"digits":6`, `"digits":10`, 1)},
		{"a fractional period", strings.Replace(valid, `"period":30`, `"period":30.5`, 1)},
		{"a period of 0", strings.Replace(valid, `"period":30`, `"period":0`, 1)},
		{"a negative step", strings.Replace(valid, `"last":59000000`, `"last":-1`, 1)},
		{"a step as a string", strings.Replace(valid, `"last":59000000`, `"last":"59000000"`, 1)},
		{"an empty seed", strings.Replace(valid, `"AQVrMTIzNDU2Nzg5MDEy"`, `""`, 1)},
		{"a padded seed", strings.Replace(valid, `"AQVrMTIzNDU2Nzg5MDEy"`, `"AQVrMTIzNDU2Nzg5MDE="`, 1)},
		{"a seed in standard base64", strings.Replace(valid, `"AQVrMTIzNDU2Nzg5MDEy"`, `"AQVrMTIz+DU2Nzg5MDEy"`, 1)},
		{"an overlong seed", strings.Replace(valid, `"AQVrMTIzNDU2Nzg5MDEy"`, `"`+strings.Repeat("A", 4*(maxSealed+3)/3)+`"`, 1)},
		{"a value longer than a credential", valid + strings.Repeat(" ", maxStored)},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			_, err := decode(tt.stored)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode: %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), "AQVrMTIz") {
				t.Errorf("error quotes the sealed seed: %v", err)
			}
		})
	}
}

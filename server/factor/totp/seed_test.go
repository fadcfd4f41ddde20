package totp

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

func TestParseSeed(t *testing.T) {
	// "12345678901234567890" in base32, and 80 bits exactly.
	const rfc, short = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "GEZDGNBVGY3TQOJQ"
	key := []byte("12345678901234567890")
	tests := []struct {
		name           string
		secret, alg    string
		digits, period int
		want           Seed
		fields         []string // refused fields, in order
	}{
		{"reads unpadded uppercase", rfc, "SHA1", 6, 30, Seed{key, SHA1, 6, 30}, nil},
		{"reads lowercase", strings.ToLower(rfc), "SHA1", 6, 30, Seed{key, SHA1, 6, 30}, nil},
		{"reads groups of four with spaces", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", "SHA1", 6, 30, Seed{key, SHA1, 6, 30}, nil},
		{"reads groups with hyphens", "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", "SHA1", 6, 30, Seed{key, SHA1, 6, 30}, nil},
		{"reads padding", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE======", "SHA1", 6, 30, Seed{append(slices.Clone(key), '1'), SHA1, 6, 30}, nil},
		{"reads missing padding", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", "SHA1", 6, 30, Seed{append(slices.Clone(key), '1'), SHA1, 6, 30}, nil},
		{"accepts 80 bits", short, "SHA1", 6, 30, Seed{key[:10], SHA1, 6, 30}, nil},
		{"fills in the defaults", rfc, "", 0, 0, Seed{key, SHA1, 6, 30}, nil},
		{"reads SHA256, 8 digits, 60 s", rfc, "sha256", 8, 60, Seed{key, SHA256, 8, 60}, nil},
		{"reads SHA-512 with a hyphen", rfc, "SHA-512", 7, 10, Seed{key, SHA512, 7, 10}, nil},
		{"accepts the longest period", rfc, "SHA1", 6, MaxPeriod, Seed{key, SHA1, 6, MaxPeriod}, nil},
		{"refuses fewer than 80 bits", "GEZDGNBVGY3TQOI", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses an empty secret", "", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses only padding", "========", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses characters outside base32", "GEZDGNBVGY3TQOJ0GEZDGNBVGY3TQOJ1", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses padding in the middle", "GEZDGNBV=GY3TQOJQ", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses a length base32 cannot have", rfc + "G", "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses more than the longest key", strings.Repeat("GEZDGNBV", MaxKeyBytes/5+1), "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses overlong input before decoding", strings.Repeat(" ", maxSecretInput+1), "SHA1", 6, 30, Seed{}, []string{"secret"}},
		{"refuses MD5", rfc, "MD5", 6, 30, Seed{}, []string{"algorithm"}},
		{"refuses an unknown algorithm", rfc, "SHA3-256", 6, 30, Seed{}, []string{"algorithm"}},
		{"refuses 5 digits", rfc, "SHA1", 5, 30, Seed{}, []string{"digits"}},
		{"refuses 9 digits", rfc, "SHA1", 9, 30, Seed{}, []string{"digits"}},
		{"refuses a negative period", rfc, "SHA1", 6, -30, Seed{}, []string{"period"}},
		{"refuses a period too short", rfc, "SHA1", 6, MinPeriod - 1, Seed{}, []string{"period"}},
		{"refuses a period too long", rfc, "SHA1", 6, MaxPeriod + 1, Seed{}, []string{"period"}},
		{"names every wrong field", "AAAA", "MD5", 4, 1, Seed{}, []string{"secret", "algorithm", "digits", "period"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSeed(tt.secret, tt.alg, tt.digits, tt.period)
			if tt.fields != nil {
				var fields []string
				for _, e := range invalid.All(err) {
					fields = append(fields, e.Field)
					if len(tt.secret) > 4 && strings.Contains(e.Reason, tt.secret) {
						t.Errorf("reason quotes the secret: %s", e.Reason)
					}
				}
				if !slices.Equal(fields, tt.fields) {
					t.Fatalf("refused fields %v (%v), want %v", fields, err, tt.fields)
				}
				if got.Key != nil {
					t.Error("a refused seed carries a key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Key, tt.want.Key) || got.Algorithm != tt.want.Algorithm || got.Digits != tt.want.Digits || got.Period != tt.want.Period {
				t.Fatalf("got %v key %x, want %v key %x", got, got.Key, tt.want, tt.want.Key)
			}
		})
	}
}

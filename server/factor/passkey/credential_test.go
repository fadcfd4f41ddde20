package passkey_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/lintel-id/lintel/server/factor/passkey"
)

// fixedCredential is a credential with every field set and fixed values:
// an ES256 public key (the COSE key of a P-256 point), for golden files.
func fixedCredential(t testing.TB) passkey.Credential {
	t.Helper()
	const pk = "pQECAyYgASFYIGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWIlggT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
	key, err := base64.RawURLEncoding.DecodeString(pk)
	if err != nil {
		t.Fatal(err)
	}
	return passkey.Credential{
		ID:                []byte("credential-id-0123456789"),
		PublicKey:         key,
		AttestationType:   "none",
		AttestationFormat: "none",
		AAGUID:            []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4},
		SignCount:         42,
		Transports:        []string{"internal", "hybrid"},
		UserVerified:      true,
		BackupEligible:    true,
		BackupState:       true,
		CreatedAt:         time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		LastUsedAt:        time.Date(2026, 3, 2, 8, 30, 15, 250_000_000, time.UTC),
	}
}

func TestEncodeGolden(t *testing.T) {
	enc := fixedCredential(t).Encode()
	golden(t, "credential.golden", []byte(enc+"\n"))
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	f := newFixture(t)
	registered := f.enroll(t, "usr_1").credential(t)
	minimal := fixedCredential(t)
	minimal.AAGUID, minimal.Transports, minimal.AttestationType, minimal.AttestationFormat = nil, nil, "", ""
	minimal.SignCount, minimal.UserVerified, minimal.BackupEligible, minimal.BackupState = 0, false, false, false
	minimal.LastUsedAt = time.Time{}
	local := fixedCredential(t)
	local.CreatedAt = local.CreatedAt.In(time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name string
		c    passkey.Credential
		want passkey.Credential
	}{
		{"keeps every field", fixedCredential(t), fixedCredential(t)},
		{"keeps a registered passkey", registered, registered},
		{"keeps a credential with only the required fields", minimal, minimal},
		{"stores times in UTC", local, fixedCredential(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.c.Encode()
			if len(enc) > 600 {
				t.Errorf("encoding is %d bytes, want well under %d", len(enc), passkey.MaxEncodedLen)
			}
			for _, r := range enc {
				if r > unicode.MaxASCII || !unicode.IsPrint(r) {
					t.Fatalf("encoding has %q, want printable ASCII", r)
				}
			}
			got, err := passkey.Decode(enc)
			if err != nil {
				t.Fatalf("Decode(%s): %v", enc, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("round trip\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	valid := fixedCredential(t).Encode()
	field := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("%s not in %s", old, valid)
		}
		return strings.Replace(valid, old, new, 1)
	}
	for _, tc := range []struct{ name, in string }{
		{"an empty string", ""},
		{"JSON null", "null"},
		{"another version", field(`"v":1`, `"v":2`)},
		{"no version", field(`"v":1,`, ``)},
		{"an unknown field", field(`"v":1,`, `"v":1,"x":1,`)},
		{"trailing data", valid + "{}"},
		{"padded base64", field(`"id":"Y3JlZGVudGlhbC1pZC0wMTIzNDU2Nzg5"`, `"id":"Y3JlZGVudGlhbC1pZC0wMTIzNDU2Nzg5=="`)},
		{"standard base64", field(`"pk":"pQECAyYgASFYIGsX0fLhLEJH-`, `"pk":"pQECAyYgASFYIGsX0fLhLEJH+`)},
		{"an empty ID", field(`"id":"Y3JlZGVudGlhbC1pZC0wMTIzNDU2Nzg5"`, `"id":""`)},
		{"an overlong ID", field(`"id":"Y3JlZGVudGlhbC1pZC0wMTIzNDU2Nzg5"`, `"id":"`+strings.Repeat("A", 1366)+`"`)},
		{"a public key that is not COSE", field(`"pk":"pQECAyYg`, `"pk":"AAECAyYg`)},
		{"a short AAGUID", field(`"aaguid":"6puNZk0BHSE85La0jLV11A"`, `"aaguid":"6puNZk0BHSE"`)},
		{"an unknown transport", field(`"internal"`, `"carrier-pigeon"`)},
		{"a repeated transport", field(`"hybrid"`, `"internal"`)},
		{"an attestation type that is not a token", field(`"att":"none"`, `"att":"<script>"`)},
		{"no creation time", field(`"created":"2026-03-01T12:00:00Z",`, ``)},
		{"backup state without eligibility", field(`"be":true,`, ``)},
		{"a negative sign count", field(`"sc":42`, `"sc":-1`)},
		{"an input too long", valid[:len(valid)-1] + strings.Repeat(" ", passkey.MaxEncodedLen) + "}"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			c, err := passkey.Decode(tc.in)
			if !errors.Is(err, passkey.ErrMalformedCredential) || c.ID != nil {
				t.Fatalf("Decode = %+v, %v; want ErrMalformedCredential", c, err)
			}
			if len(tc.in) > 8 && strings.Contains(err.Error(), tc.in[:8]) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
}

func TestRegisteredCredentialFitsTheDirectory(t *testing.T) {
	f := newFixture(t)
	enc := f.enroll(t, "usr_1").stored
	if len(enc) > 400 {
		t.Errorf("a registered ES256 passkey encodes to %d bytes: %s", len(enc), enc)
	}
	if !bytes.HasPrefix([]byte(enc), []byte(`{"v":1,`)) {
		t.Errorf("encoding %s does not start with its version", enc)
	}
}

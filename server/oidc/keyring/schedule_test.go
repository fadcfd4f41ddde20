package keyring

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

var rt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// retention is the retention of rings whose tokens live an hour.
const retention = time.Hour + keyClockSkew

func TestKeySchedule(t *testing.T) {
	at := func(d time.Duration) time.Time { return rt0.Add(d) }
	key := func(gen int64, activates time.Duration, status string) keyRow {
		return keyRow{kid: "k" + strconv.FormatInt(gen, 10), generation: gen, activatesAt: at(activates), status: status}
	}
	h := time.Hour
	for _, tc := range []struct {
		name  string
		sched schedule
		now   time.Duration
		want  string // per key: status, published (+/-), retirement (hours from rt0 or "·")
		gone  string // keys RotateKeys may delete
	}{
		{name: "a first key signs and has no end",
			sched: schedule{key(1, 0, keyActive)}, now: 0,
			want: "current+·"},
		{name: "a next key is published before it signs",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 24 * h,
			want: "current+48 next+·"},
		{name: "the next key signs from its activation",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48 * h,
			want: "retired+48 current+·"},
		{name: "a retired key stays published while its tokens may be valid",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48*h + retention - time.Nanosecond,
			want: "retired+48 current+·"},
		{name: "a retired key is unpublished and deletable after its retention",
			sched: schedule{key(1, 0, keyActive), key(2, 48*h, keyActive)}, now: 48*h + retention,
			want: "retired-48 current+·", gone: "k1"},
		{name: "a revoked key is not published and not used",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyActive)}, now: 24 * h,
			want: "revoked-48 next+·"},
		{name: "an immediate rotation retires the revoked keys at once",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyRevoked), key(3, 24*h, keyActive)}, now: 24 * h,
			want: "revoked-24 revoked-24 current+·"},
		{name: "an immediate rotation keeps older keys until their tokens expire",
			sched: schedule{key(1, 0, keyActive), key(2, 24*h, keyRevoked), key(3, 36*h, keyActive)}, now: 36 * h,
			want: "retired+36 revoked-36 current+·"},
		{name: "revoked keys are deleted after the retention of the key they left",
			sched: schedule{key(1, 0, keyRevoked), key(2, 48*h, keyRevoked), key(3, 24*h, keyActive)}, now: 24*h + retention,
			want: "revoked-24 revoked-24 current+·", gone: "k1 k2"},
		{name: "the current key is never deleted, even when a newer one was revoked",
			sched: schedule{key(1, 0, keyActive), key(2, 24*h, keyRevoked)}, now: 48 * h,
			want: "current+· revoked-·"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			var got, gone []string
			for i := range tc.sched {
				pub, end := "-", "·"
				if tc.sched.published(i, now, retention) {
					pub = "+"
				}
				if e, ok := tc.sched.retiresAt(i); ok {
					end = strconv.Itoa(int(e.Sub(rt0) / h))
				}
				got = append(got, tc.sched.status(i, now)+pub+end)
			}
			for _, i := range tc.sched.expired(now, retention) {
				gone = append(gone, tc.sched[i].kid)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("schedule %s, want %s", g, tc.want)
			}
			if g := strings.Join(gone, " "); g != tc.gone {
				t.Errorf("deletable %q, want %q", g, tc.gone)
			}
		})
	}
}

func TestRotationPolicy(t *testing.T) {
	for _, tc := range []struct {
		name               string
		period, lead       time.Duration
		wantPeriod, wantLd time.Duration
		ok                 bool
	}{
		{"defaults to 90 days and a day of lead", 0, 0, 90 * 24 * time.Hour, 24 * time.Hour, true},
		{"accepts a shorter period", 7 * 24 * time.Hour, 0, 7 * 24 * time.Hour, 24 * time.Hour, true},
		{"accepts a lead just above the caches", 0, JWKSMaxAge + activeKeyTTL, RotationPeriod, JWKSMaxAge + activeKeyTTL, true},
		{"refuses a lead within the JWKS max-age and the node cache", 0, JWKSMaxAge + activeKeyTTL - time.Second, 0, 0, false},
		{"refuses a lead as long as the period", 48 * time.Hour, 48 * time.Hour, 0, 0, false},
		{"refuses a default lead over a short period", 12 * time.Hour, 0, 0, 0, false},
		{"refuses a negative period", -time.Hour, 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			period, lead, err := rotationPolicy(tc.period, tc.lead)
			if (err == nil) != tc.ok || period != tc.wantPeriod || lead != tc.wantLd {
				t.Errorf("policy %v, %v, %v", period, lead, err)
			}
		})
	}
}

// RotationLead's comment relies on a margin over the JWK set's max-age
// (which the provider serves, from JWKSMaxAge) and the node cache.
func TestRotationLeadLeavesAWideMarginOverTheCaches(t *testing.T) {
	if MinLead != JWKSMaxAge+activeKeyTTL {
		t.Errorf("MinLead %v is not the JWKS max-age %v plus the node cache %v", MinLead, JWKSMaxAge, activeKeyTTL)
	}
	if RotationLead < 10*(JWKSMaxAge+activeKeyTTL) {
		t.Errorf("RotationLead %v leaves no wide margin over the caches", RotationLead)
	}
}

package policy

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
)

// FuzzCondition feeds conditions as an admin would write them: each is
// either refused with one field error, or compiles to a program that
// evaluates to a bool or an error (never a panic) before and after
// authentication, and compiles again the same way.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		``, `true`, `"Office" in network.zones`, `network.ip.startsWith("10.")`, `has(user.id)`,
		`user.groups.exists(g, g == "admins") && user.status == "ACTIVE"`, `app.id == "app_x" || user.type != ""`,
		`network["zones"].size() > 0`, `user.email == "x"`, `session.id`, `((((`, "\xff", `user[app.id] == 1`,
		`user.groups.all(a, user.groups.all(b, a != b))`, `1 / 0 == 1`, `network.ip`, `"id" in user`,
		`network.zones.map(z, z + z).size() > 2`, `int(network.ip) > 0`, `dyn(user.groups)[5] == "x"`,
	} {
		f.Add(s)
	}
	svc := compiler(f)
	vars := []map[string]any{
		{varApp: map[string]any{"id": "app_x"}, varNetwork: map[string]any{"ip": "", "zones": []string{}}, varUser: map[string]any{}},
		{varApp: map[string]any{"id": "app_x"}, varNetwork: map[string]any{"ip": "192.0.2.1", "zones": []string{"Office", "VPN"}},
			varUser: map[string]any{"id": "usr_1", "type": "typ_1", "status": "ACTIVE", "groups": []string{"admins", "staff"}}},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := svc.compileCondition("rules[0].condition", expr)
		if err != nil {
			if errs := invalid.All(err); len(errs) != 1 || errs[0].Field != "rules[0].condition" {
				t.Fatalf("%q refused with %v, want one field error", expr, err)
			}
			return
		}
		if _, err := svc.compileCondition("rules[0].condition", expr); err != nil {
			t.Fatalf("%q compiled, then was refused: %v", expr, err)
		}
		if c.always() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, v := range vars {
			_, _ = c.eval(ctx, v)
		}
	})
}

// FuzzRules feeds whole rules through the policy checks: a rule set is
// refused with field errors only, or accepted with values within bounds.
func FuzzRules(f *testing.F) {
	f.Add("anyone", "", "allow", "password", "email", 1, int64(0))
	f.Add("office", `"Office" in network.zones`, "allow", "email", "email", 2, int64(3600))
	f.Add("no", "true", "deny", "", "", 0, int64(0))
	f.Add(" ", "nope(", "maybe", "sms", "", -1, int64(-5))
	svc := compiler(f)
	f.Fuzz(func(t *testing.T, name, cond, access, a1, a2 string, factors int, reauth int64) {
		var auth []string
		for _, a := range []string{a1, a2} {
			if a != "" {
				auth = append(auth, a)
			}
		}
		in := []Rule{{Name: name, Condition: cond, Access: access, Authenticators: auth, Factors: factors,
			ReauthenticateAfter: time.Duration(reauth) * time.Second}}
		out, conds, err := svc.checkRules(in)
		if err != nil {
			if len(invalid.All(err)) == 0 {
				t.Fatalf("refused without a field error: %v", err)
			}
			return
		}
		r := out[0]
		if len(conds) != 1 || conds[0] == nil || r.Name == "" || (r.Access != AccessAllow && r.Access != AccessDeny) ||
			r.ReauthenticateAfter < 0 || r.ReauthenticateAfter > MaxReauthenticateAfter {
			t.Fatalf("accepted %+v", r)
		}
		if r.Access == AccessAllow && (r.Factors < 1 || r.Factors > 2 || (len(r.Authenticators) < r.Factors && !slices.Contains(r.Authenticators, AuthPasskey))) {
			t.Fatalf("accepted %+v", r)
		}
		back, err := decodeRules([]byte(encodeRules(out)))
		if err != nil || len(back) != 1 || back[0].Name != r.Name || back[0].Condition != r.Condition ||
			back[0].ReauthenticateAfter != r.ReauthenticateAfter || back[0].Factors != r.Factors {
			t.Fatalf("stored %+v, read back %+v (%v)", r, back, err)
		}
	})
}

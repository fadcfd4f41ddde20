package policy_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// A sign-on policy whose second rule reads the person: before they are
// authenticated it is skipped, so the first step is the same for every
// login; after the password, admins need a second factor.
func ExampleService_SignOn() {
	dir, err := os.MkdirTemp("", "policy-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx, clk := context.Background(), clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		panic(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		panic(err)
	}
	tenants := tenant.New(sec, clk, tenant.Options{PublicHost: "id.example.com"})
	svc, err := policy.New(policy.Deps{Store: st, Clock: clk, Passwords: factor.NewPasswords(1), Zones: tenants,
		Types: directory.New(clk, events.New(st, sec, clk), sec)})
	if err != nil {
		panic(err)
	}
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		acme, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		_, err = svc.PutSignOnPolicy(ctx, tx, acme.ID, "", []policy.Rule{
			{Name: "blocked network", Condition: `network.ip.startsWith("203.0.113.")`, Access: policy.AccessDeny},
			{Name: "admins", Condition: `"admins" in user.groups`, Access: policy.AccessAllow,
				Authenticators: []string{policy.AuthPassword, policy.AuthEmail}, Factors: 2},
			{Name: "everyone", Access: policy.AccessAllow, Authenticators: []string{policy.AuthPassword}},
		})
		if err != nil {
			return err
		}
		ip := netip.MustParseAddr("192.0.2.1")
		for _, u := range []*policy.Subject{nil, {ID: "usr_1", Status: "ACTIVE", Groups: []string{"admins"}}} {
			d, err := svc.SignOn(ctx, tx, acme.ID, policy.SignOnInput{AppID: "app_1", IP: ip, User: u})
			if err != nil {
				return err
			}
			fmt.Printf("%s: allow=%v %v factors=%d\n", d.Rule, d.Allow, d.Authenticators, d.Factors)
		}
		d, err := svc.SignOn(ctx, tx, acme.ID, policy.SignOnInput{AppID: "app_1", IP: netip.MustParseAddr("203.0.113.9")})
		fmt.Printf("%s: allow=%v\n", d.Rule, d.Allow)
		return err
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// everyone: allow=true [password] factors=1
	// admins: allow=true [password email] factors=2
	// blocked network: allow=false
}

// Progressive profiling: on each sign-in, the policy asks for what the
// person still lacks once they have signed in often enough.
func ExampleEnrollment_DueAttributes() {
	e := policy.Enrollment{Progressive: []policy.ProgressiveAttribute{
		{Name: "given_name", Required: true},
		{Name: "phone", AfterSignIns: 3},
	}}
	profile := map[string]bool{"given_name": true}
	has := func(name string) bool { return profile[name] }
	for _, signIns := range []int{0, 3} {
		for _, a := range e.DueAttributes(signIns, has) {
			fmt.Printf("after %d sign-ins: ask for %s (required %v)\n", signIns, a.Name, a.Required)
		}
	}
	// Output:
	// after 3 sign-ins: ask for phone (required false)
}

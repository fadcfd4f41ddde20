package samlidp

import (
	"context"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// editableOf says which custom attributes a tenant's user types let
// people edit (the directory answers this in the binary).
type editableOf map[string]bool

func (e editableOf) Editable(context.Context, store.Tx, string) (map[string]bool, error) {
	return e, nil
}

// TestAttributesReadingEditable: rules that read what people edit
// themselves are refused unless the app overrides it; email and name are
// SAML's standard identity attributes and always allowed.
func TestAttributesReadingEditable(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		w.svc.d.Attributes = editableOf{"nickname": true, "department": false}
		in, err := ImportSPMetadata(w.spMetadata(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			expr     string
			override bool
			refused  bool
		}{
			{"email is standard", "user.email", false, false},
			{"name is standard", "user.name", false, false},
			{"an attribute people cannot edit", "user.profile.department", false, false},
			{"an editable attribute", "user.profile.nickname", false, true},
			{"an editable attribute by index", `user.profile["nickname"]`, false, true},
			{"the whole profile", "user.profile", false, true},
			{"the whole user", "user", false, true},
			{"an editable attribute with the override", "user.profile.nickname", true, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in.Attributes, in.OverrideEditable = map[string]string{"x": tc.expr}, tc.override
				var got App
				err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					var err error
					got, err = w.svc.PutApp(ctx, tx, w.tenant, w.app, in)
					return err
				})
				var bad *invalid.Error
				switch {
				case tc.refused && (!errors.Is(err, ErrInvalid) || !errors.As(err, &bad) || bad.Field != "attributes.x"):
					t.Fatalf("PutApp = %v, want ErrInvalid naming attributes.x", err)
				case !tc.refused && err != nil:
					t.Fatalf("PutApp = %v", err)
				case !tc.refused && got.OverrideEditable != tc.override:
					t.Fatalf("stored override %v", got.OverrideEditable)
				}
			})
		}
	})
}

package directory

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// LinkIdentity links account subject at identity provider idpID to a user
// of tenantID as Link does, and records "user.identity.linked" by actor
// in the same transaction. The event's details hold the provider's ID
// only; the subject identifies the person at the provider, so it goes
// with the login and email in the sealed personal part.
func (d *Directory) LinkIdentity(ctx context.Context, tx store.Tx, tenantID, userID, idpID, subject string, actor events.Ref) (Identity, error) {
	id, err := d.Link(ctx, tx, tenantID, userID, idpID, subject)
	if err != nil {
		return Identity{}, err
	}
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return Identity{}, err
	}
	if actor == (events.Ref{}) {
		actor = events.Ref{Type: "system"}
	}
	personal := map[string]string{"login": u.Login, "subject": subject}
	if u.Email != "" {
		personal["email"] = u.Email
	}
	_, err = d.ev.Append(ctx, tx, events.Event{
		Type: "user.identity.linked", TenantID: tenantID, Actor: actor, Target: events.Ref{Type: "user", ID: u.ID},
		Outcome: events.Success, Details: map[string]any{"idp_id": idpID}, Subject: u.ID, Personal: personal,
	})
	if err != nil {
		return Identity{}, fmt.Errorf("directory: record user.identity.linked: %w", err)
	}
	return id, nil
}

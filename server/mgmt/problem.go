package mgmt

import (
	"context"
	"errors"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// problem turns a domain error into the API's problem+json answer:
// conflicts 409 and invalid input 422, both naming the fields; mail the
// tenant cannot send 409 saying so; missing records 404; anything else
// 500 with details only in the log.
func (a *API) problem(ctx context.Context, err error) error {
	details := func() []error {
		var out []error
		for _, e := range invalid.All(err) {
			out = append(out, &huma.ErrorDetail{Location: "body." + e.Field, Message: e.Reason})
		}
		return out
	}
	switch {
	case errors.Is(err, mail.ErrNotConfigured):
		return huma.Error409Conflict("the tenant cannot send mail: give it an SMTP relay (PUT …/tenants/{tenant}/mail) or configure the instance's mail.smtp")
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict("conflicts with an existing record", details()...)
	case invalid.Is(err):
		d := details()
		msgs := make([]string, 0, len(d))
		for _, e := range invalid.All(err) {
			msgs = append(msgs, e.Error())
		}
		return huma.Error422UnprocessableEntity("invalid input: "+strings.Join(msgs, "; "), d...)
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("not found")
	}
	a.Logger.ErrorContext(ctx, "mgmt: internal error", "err", err, "request_id", requestid.From(ctx))
	return huma.Error500InternalServerError("internal error; the request ID is in the X-Request-Id header")
}

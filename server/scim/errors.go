package scim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// refuse is a 400 SCIM error: the client's input is refused.
func refuse(scimType, detail string) error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: detail}
}

// errPreconditionFailed is an If-Match that names another version.
var errPreconditionFailed = &Error{Status: http.StatusPreconditionFailed, Detail: "the resource has changed (If-Match)"}

// fail answers err as a SCIM error: refused input a 400, a duplicate a 409,
// a missing resource a 404, anything else a logged 500.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *Error
	switch {
	case errors.As(err, &se):
		writeError(w, se.Status, se.ScimType, se.Detail)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "", "resource not found")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, ScimUniqueness, fieldDetail(err))
	case errors.Is(err, directory.ErrTransition):
		writeError(w, http.StatusBadRequest, ScimMutability, fieldDetail(err))
	case len(invalid.All(err)) > 0:
		writeError(w, http.StatusBadRequest, ScimInvalidValue, fieldDetail(err))
	case errors.Is(err, context.Canceled):
		// The client left; nobody reads the answer.
	default:
		s.d.Logger.ErrorContext(r.Context(), "scim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "", "internal error")
	}
}

// fieldDetail lists the refused fields of err, without values.
func fieldDetail(err error) string {
	var parts []string
	for _, e := range invalid.All(err) {
		parts = append(parts, e.Error())
	}
	if len(parts) == 0 {
		return "refused"
	}
	return strings.Join(parts, "; ")
}

// etag is the weak entity tag of a resource's version.
func etag(id string, updated time.Time) string {
	sum := sha256.Sum256([]byte(id + "|" + strconv.FormatInt(updated.UnixMicro(), 10)))
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

// matchTag reports whether the If-Match or If-None-Match header value h
// names tag ("*" names every version).
func matchTag(h, tag string) bool {
	for t := range strings.SplitSeq(h, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}

// checkIfMatch refuses a write whose If-Match does not name tag.
func checkIfMatch(r *http.Request, tag string) error {
	if h := r.Header.Get("If-Match"); h != "" && !matchTag(h, tag) {
		return errPreconditionFailed
	}
	return nil
}

// meta is the meta attribute of a resource.
func meta(kind, location string, created, updated time.Time, tag string) map[string]any {
	return map[string]any{
		"resourceType": kind, "created": created.UTC().Format(time.RFC3339),
		"lastModified": updated.UTC().Format(time.RFC3339), "location": location, "version": tag,
	}
}

// writeResource answers a resource with its ETag and, for a 201, its
// Location.
func writeResource(w http.ResponseWriter, status int, res map[string]any) {
	m := res["meta"].(map[string]any)
	w.Header().Set("ETag", m["version"].(string))
	if status == http.StatusCreated {
		w.Header().Set("Location", m["location"].(string))
	}
	writeJSON(w, status, res)
}

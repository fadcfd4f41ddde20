package wire

// APIError is the body of a flow API error response: a stable error code
// ("flow_not_found", "flow_expired", "invalid_request"…) and the message
// ID a client shows, translated with the same catalogs as the pages. It
// travels as {"error": code, "message": messageID}.
type APIError struct {
	Code    string // "error"; required
	Message string // "message": a message ID
	Status  int    // the HTTP status it came with; not part of the JSON
}

// Error returns the code and the message ID.
func (e *APIError) Error() string {
	return "flow API: " + e.Code + " (" + e.Message + ")"
}

// AppendJSON appends the JSON encoding of e to b and returns the result.
func (e APIError) AppendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("error", e.Code)
	o.optStr("message", e.Message)
	return o.end()
}

// ParseAPIError decodes an APIError from JSON. error is required; other
// members (error_description, redirect) are ignored. Errors wrap
// ErrSyntax, ErrTooLarge, ErrTooDeep, ErrDuplicateKey, ErrMissing or
// ErrType.
func ParseAPIError(data []byte) (APIError, error) {
	var e APIError
	hasCode := false
	err := decode(data, func(d *decoder) error {
		return d.object(func(key string) error {
			switch key {
			case "error":
				hasCode = true
				return d.string(&e.Code)
			case "message":
				return d.string(&e.Message)
			}
			return d.skip()
		})
	})
	if err == nil && !hasCode {
		err = errPath(ErrMissing, "error", "")
	}
	if err != nil {
		return APIError{}, err
	}
	return e, nil
}

package candour

import (
	"errors"
	"fmt"
)

// Error codes. The API maps each to an HTTP status; the message of an Error is
// safe to show a client and never holds plaintext feedback, keys, tokens or
// subject identifiers.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // policy denied a whole operation
	ENOTFOUND     = "not_found"    // no such resource, or not one the caller may know of
	ECONFLICT     = "conflict"     // the request conflicts with stored state
	ETOOLARGE     = "too_large"    // the request body is over the limit
	EUNSUPPORTED  = "unsupported"  // wrong content type
	EUNAVAILABLE  = "unavailable"  // a dependency (store, keys, policy, audit) is down: fail closed
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an application error with a code and a message fit for a client.
// Internal causes are wrapped with %w around an Error, never inside its
// message.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("candour: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with code and a formatted message. The arguments
// must never include plaintext feedback, keys, tokens or subject identifiers.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, or a generic sentence for any other error.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "An internal error occurred."
	}
}

// Wrap marks err with code and the client-safe message msg, keeping err in the
// chain for logs. A nil err stays nil, and an err that already carries an
// *Error is returned unchanged, so the innermost decision about what a client
// sees wins.
func Wrap(code string, err error, msg string) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%w: %w", &Error{Code: code, Message: msg}, err)
}

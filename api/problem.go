package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/candour-vault/candour"
)

// problem is an RFC 9457 problem details object.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
}

// status maps each error code to its HTTP status and title.
func status(code string) (int, string) {
	switch code {
	case candour.EINVALID:
		return http.StatusBadRequest, "Invalid request"
	case candour.EUNAUTHORIZED:
		return http.StatusUnauthorized, "Unauthorized"
	case candour.EFORBIDDEN:
		return http.StatusForbidden, "Forbidden"
	case candour.ENOTFOUND:
		return http.StatusNotFound, "Not found"
	case candour.ECONFLICT:
		return http.StatusConflict, "Conflict"
	case candour.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, "Request too large"
	case candour.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType, "Unsupported media type"
	case candour.EUNAVAILABLE:
		return http.StatusServiceUnavailable, "Service unavailable"
	default:
		return http.StatusInternalServerError, "Internal error"
	}
}

// retryAfterSeconds is what a 503 asks a client to wait.
const retryAfterSeconds = 5

// writeProblem answers err as problem+json. Only the client-safe message of a
// candour.Error reaches the client.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	code := candour.ErrorCode(err)
	st, title := status(code)
	writeProblemStatus(w, r, st, title, code, candour.ErrorMessage(err))
}

// writeProblemStatus writes one problem+json response.
func writeProblemStatus(w http.ResponseWriter, r *http.Request, st int, title, code, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	switch st {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="candour"`)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	w.WriteHeader(st)
	json.NewEncoder(w).Encode(problem{
		Type:      "urn:candour:problem:" + code,
		Title:     title,
		Status:    st,
		Detail:    detail,
		RequestID: requestID(r.Context()),
	})
}

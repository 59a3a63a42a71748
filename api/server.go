// Package api is Candour's HTTP interface: routing on net/http.ServeMux, bearer
// token verification, request ids, RFC 9457 problem+json errors and the JSON
// handlers of the outside contract (docs/api.md).
//
// Guarantees: every response carries Cache-Control: no-store; error bodies
// never hold submitted text, tokens or subject identifiers; request logs name
// the route pattern, never the path, so identifiers in a path stay out of
// logs; a panic in a handler answers 500 and is logged without the request.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/internal/reqlog"
)

// FeedbackService records and reads feedback (vault.Service).
type FeedbackService interface {
	Submit(ctx context.Context, c candour.Caller, f candour.Feedback, idem candour.Idempotency) (candour.Receipt, error)
	Read(ctx context.Context, c candour.Caller, id string) (candour.Feedback, error)
	Withdraw(ctx context.Context, c candour.Caller, id string) (candour.Withdrawal, error)
	Erase(ctx context.Context, c candour.Caller, subjectRef string) (candour.Erasure, error)
	List(ctx context.Context, c candour.Caller, q candour.ListQuery) (candour.RecordList, error)
	// The data lifecycle: correction, subject access, erasure preview,
	// legal holds and the retention overview.
	Correct(ctx context.Context, c candour.Caller, id string, ch candour.Correction) (candour.Corrected, error)
	SubjectAccess(ctx context.Context, c candour.Caller, ref string) (candour.SubjectAccess, error)
	PreviewErasure(ctx context.Context, c candour.Caller, ref string) (candour.ErasurePreview, error)
	PlaceHold(ctx context.Context, c candour.Caller, r candour.HoldRequest) (candour.LegalHold, error)
	ReleaseHold(ctx context.Context, c candour.Caller, id string) error
	Holds(ctx context.Context, c candour.Caller) ([]candour.LegalHold, error)
	RetentionOverview(ctx context.Context, c candour.Caller) (candour.RetentionOverview, error)
}

// AuditService serves auditors (audit.Service).
type AuditService interface {
	Entries(ctx context.Context, c candour.Caller, f candour.AuditFilter) ([]candour.AuditLeaf, error)
	Checkpoint(ctx context.Context, c candour.Caller) ([]byte, error)
	IssueCheckpoint(ctx context.Context, c candour.Caller) ([]byte, error)
	InclusionProof(ctx context.Context, c candour.Caller, seq, size int64) ([][32]byte, error)
	ConsistencyProof(ctx context.Context, c candour.Caller, old, new int64) ([][32]byte, error)
	VerifierKey() string
}

// InsightService answers analysts' summary queries (insight.Service).
type InsightService interface {
	Summary(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightSummary, error)
	Comments(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightComments, error)
	Export(ctx context.Context, c candour.Caller, q candour.SummaryQuery, format string) ([]byte, error)
}

// Authenticator turns a bearer token into a principal (Verifier).
type Authenticator interface {
	Verify(token string) (candour.Principal, error)
}

// Config wires a Server.
type Config struct {
	Feedback FeedbackService
	Audit    AuditService
	Insight  InsightService
	// Invitations, when set, serves POST /v1/invitations (the citizen
	// channel is on).
	Invitations InvitationService
	Auth        Authenticator
	// JWKS, when set, is served at /.well-known/jwks.json (the dev issuer's keys).
	JWKS []byte
	// Ready names the dependencies /readyz checks.
	Ready map[string]candour.Pinger
	// Metrics, when set, is served at /metrics.
	Metrics http.Handler
	// Observe, when set, is told of every answered request: the route
	// pattern (never the path), the status and the time taken.
	Observe func(route string, status int, took time.Duration)
	Logger  *slog.Logger
}

// Server is Candour's HTTP handler.
type Server struct {
	cfg     Config
	handler http.Handler
	log     *slog.Logger
}

// New returns the HTTP handler for c.
func New(c Config) *Server {
	s := &Server{cfg: c, log: c.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", s.livez)
	doc := openAPIServed(c.JWKS != nil)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if c.Metrics != nil {
		mux.Handle("GET /metrics", c.Metrics)
	}
	if c.JWKS != nil {
		mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	}
	mux.HandleFunc("POST /v1/feedback", s.authed(s.createFeedback))
	mux.HandleFunc("GET /v1/feedback", s.authed(s.listFeedback))
	mux.HandleFunc("POST /v1/feedback/search", s.authed(s.searchFeedback))
	mux.HandleFunc("GET /v1/feedback/{id}", s.authed(s.readFeedback))
	mux.HandleFunc("POST /v1/feedback/{id}/withdraw", s.authed(s.withdrawFeedback))
	mux.HandleFunc("PATCH /v1/feedback/{id}", s.authed(s.correctFeedback))
	mux.HandleFunc("POST /v1/subjects/erase", s.authed(s.eraseSubject))
	mux.HandleFunc("POST /v1/subjects/erase/preview", s.authed(s.previewErasure))
	mux.HandleFunc("POST /v1/subjects/access", s.authed(s.subjectAccess))
	mux.HandleFunc("GET /v1/holds", s.authed(s.listHolds))
	mux.HandleFunc("POST /v1/holds", s.authed(s.placeHold))
	mux.HandleFunc("POST /v1/holds/{id}/release", s.authed(s.releaseHold))
	mux.HandleFunc("GET /v1/retention", s.authed(s.retentionOverview))
	if c.Invitations != nil {
		mux.HandleFunc("POST /v1/invitations", s.authed(s.createInvitations))
	}
	if c.Insight != nil {
		mux.HandleFunc("GET /v1/insights/summary", s.authed(s.insightSummary))
		mux.HandleFunc("GET /v1/insights/comments", s.authed(s.insightComments))
		mux.HandleFunc("GET /v1/insights/export", s.authed(s.insightExport))
	}
	mux.HandleFunc("GET /v1/audit/entries", s.authed(s.auditEntries))
	mux.HandleFunc("GET /v1/audit/checkpoint", s.authed(s.auditCheckpoint))
	mux.HandleFunc("POST /v1/audit/checkpoint", s.authed(s.auditCheckpoint))
	mux.HandleFunc("GET /v1/audit/verifier-key", s.auditVerifierKey)
	mux.HandleFunc("GET /v1/audit/proof/inclusion", s.authed(s.auditInclusion))
	mux.HandleFunc("GET /v1/audit/proof/consistency", s.authed(s.auditConsistency))
	s.handler = s.middleware(unmatched(mux))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// openAPI is the OpenAPI document of this API (openapi.json, kept in step
// with docs/api.md and with the routes by TestOpenAPICoversRoutes).
//
//go:embed openapi.json
var openAPI []byte

// openAPIServed returns the OpenAPI document as this server serves it: the
// JWKS path is listed only where it is served (the dev issuer's).
func openAPIServed(jwks bool) []byte {
	if jwks {
		return openAPI
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		return openAPI // the tests keep the embedded document valid
	}
	if paths, ok := doc["paths"].(map[string]any); ok {
		delete(paths, "/.well-known/jwks.json")
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return openAPI
	}
	return b
}

func requestID(ctx context.Context) string { return reqlog.ID(ctx) }

// middleware sets the request id and safety headers, recovers panics and logs
// one line per request.
func (s *Server) middleware(next http.Handler) http.Handler {
	return reqlog.Wrap(s.log, reqlog.Options{
		Kind: "request",
		Headers: func(h http.Header, r *http.Request, id string) {
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Referrer-Policy", "no-referrer")
			if r.TLS != nil {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			h.Set("Request-Id", id)
		},
		Panic: func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, candour.Errorf(candour.EINTERNAL, "An internal error occurred."))
		},
		Observe: s.cfg.Observe,
	}, next)
}

// unmatched answers requests no route matches with problem+json: 404 for an
// unknown path, 405 (with Allow) for a known path and the wrong method.
func unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &discardWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeProblemStatus(w, r, http.StatusMethodNotAllowed, "Method not allowed", "method_not_allowed",
				"This endpoint does not answer that method; see the Allow header.")
			return
		}
		writeProblem(w, r, candour.Errorf(candour.ENOTFOUND, "No such endpoint."))
	})
}

// discardWriter records the status and headers of ServeMux's own error
// handlers and drops their plain-text body.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }

// authed requires a valid bearer token and passes the principal on.
func (s *Server) authed(next func(http.ResponseWriter, *http.Request, candour.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" { // schemes are case-insensitive (RFC 7235)
			writeProblem(w, r, candour.Errorf(candour.EUNAUTHORIZED, "A valid bearer token is required."))
			return
		}
		p, err := s.cfg.Auth.Verify(token)
		if err != nil {
			s.log.Info("token rejected", "request_id", requestID(r.Context()), "reason", err)
			writeProblem(w, r, err)
			return
		}
		if p, err = actingRole(r, p); err != nil {
			writeProblem(w, r, err)
			return
		}
		next(w, r, p)
	}
}

// actingRole narrows a principal to the one role its request acts in: the
// token's only role, or, when the token carries several, the one the
// Candour-Role header names. The policy refuses a principal of several
// roles, so a token carrying auditor and caseworker never reads content and
// the log in one request; each request's audit entry names the role it
// acted in.
func actingRole(r *http.Request, p candour.Principal) (candour.Principal, error) {
	want := r.Header.Get("Candour-Role")
	if want == "" {
		if len(p.Roles) > 1 {
			return p, candour.Errorf(candour.EINVALID, "Your token carries several roles; name the one this request acts in with the Candour-Role header.")
		}
		return p, nil
	}
	role := candour.Role(want)
	if !role.Valid() || !slices.Contains(p.Roles, role) {
		return p, candour.Errorf(candour.EFORBIDDEN, "Your token does not carry the role the Candour-Role header names.")
	}
	p.Roles = []candour.Role{role}
	return p, nil
}

// fail answers err, logging internal causes server-side only; a request
// whose client went away is only recorded and noted (reqlog.Abandoned).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch candour.ErrorCode(err) {
	case candour.EINTERNAL, candour.EUNAVAILABLE:
		if reqlog.Abandoned(w, r, err, s.log) {
			return
		}
		s.log.Error("request failed", "request_id", requestID(r.Context()), "route", r.Pattern, "err", err)
	}
	writeProblem(w, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency answers within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ready := true
	for name, p := range s.cfg.Ready {
		if err := p.Ping(ctx); err != nil {
			s.log.Warn("not ready", "check", name, "err", err)
			checks[name], ready = "unavailable", false
		} else {
			checks[name] = "ok"
		}
	}
	st := http.StatusOK
	if !ready {
		st = http.StatusServiceUnavailable
	}
	writeJSON(w, st, map[string]any{"ready": ready, "checks": checks})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(s.cfg.JWKS)
}

// caller builds the Caller of a request, parsing Candour-Purpose when sent.
func caller(r *http.Request, p candour.Principal) (candour.Caller, error) {
	c := candour.Caller{Principal: p, RequestID: requestID(r.Context())}
	if v := r.Header.Get("Candour-Purpose"); v != "" {
		purpose, err := candour.ParseRequestPurpose(v)
		if err != nil {
			return c, err
		}
		c.Purpose = purpose
	}
	return c, nil
}

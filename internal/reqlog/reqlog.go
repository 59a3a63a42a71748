// Package reqlog is what the API and the pages share of handling a request:
// its id, the status it was answered with, a panic caught, and the one log
// line, which names the route pattern and never the path (identifiers in a
// path stay out of logs).
package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

type ctxKey struct{}

// ID returns the id Wrap gave the request of ctx ("" outside Wrap).
func ID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Options say what differs between the API and the pages.
type Options struct {
	// Kind names the log line ("request", "page").
	Kind string
	// Headers sets the response headers of every answer.
	Headers func(h http.Header, r *http.Request, id string)
	// Panic answers a request whose handler panicked before writing.
	Panic func(w http.ResponseWriter, r *http.Request)
	// Observe, when set, is told of every answered request.
	Observe func(route string, status int, took time.Duration)
}

// Wrap gives every request an id, sets the headers, recovers a panic
// (logged without the request), and logs one line per request.
func Wrap(log *slog.Logger, o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 12)
		rand.Read(b)
		id := hex.EncodeToString(b)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		o.Headers(w.Header(), r, id)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic in handler", "request_id", id, "route", r.Pattern, "panic", v)
				if rec.status == 0 {
					o.Panic(rec, r)
				}
			}
			took := time.Since(start)
			log.Info(o.Kind, "request_id", id, "method", r.Method, "route", r.Pattern,
				"status", rec.status, "duration_ms", took.Milliseconds())
			if o.Observe != nil {
				o.Observe(r.Pattern, rec.status, took)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// StatusClientClosed is the status a request is recorded with when its
// client went away before it was answered (the code nginx logs as 499). No
// answer reaches anyone; the request log and the metrics keep it apart from
// the server's own failures.
const StatusClientClosed = 499

// Abandoned reports whether err, about to be reported as a failure, is only
// the request being cancelled because its client went away before it was
// answered: r's context has ended and err is context.Canceled. If so it
// records StatusClientClosed and logs one notice line naming the request id
// and route, not the error: a query cancelled with its request is no failure
// of the database or the audit log the error would name. Any other error,
// even of a request whose client has gone, is left to the caller to report.
// It changes nothing that was or was not stored, and sends no one anything.
func Abandoned(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) bool {
	if r.Context().Err() == nil || !errors.Is(err, context.Canceled) {
		return false
	}
	log.Info("request abandoned: the client went away before it was answered",
		"request_id", ID(r.Context()), "route", r.Pattern)
	w.WriteHeader(StatusClientClosed)
	return true
}

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Package reqlog is what the API and the pages share of handling a request:
// its id, the status it was answered with, a panic caught, and the one log
// line, which names the route pattern and never the path (identifiers in a
// path stay out of logs).
package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

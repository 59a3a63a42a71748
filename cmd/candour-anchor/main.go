// Command candour-anchor is the server a team would write without Candour:
// it decodes the same JSON body as POST /v1/feedback and does one plain
// INSERT of a row of the same shape (random bytes where the sealed envelope
// goes) into a table with the feedback table's columns, defaults, constraints
// and indexes but none of its triggers or row-level security, in autocommit.
// No token, no policy, no encryption, no audit. GET /v1/feedback/{id}
// selects the same row back. It is the anchor that
// candour-load measures Candour against (docs/benchmarks.md):
//
//	candour-anchor --database postgres://127.0.0.1:5432/candour --addr 127.0.0.1:8430
//
// The database must hold Candour's schema (candour migrate up): the anchor's
// table, anchor_feedback, is created LIKE feedback.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "candour-anchor:", err)
		os.Exit(1)
	}
}

// submission is the part of Candour's request body the anchor stores.
type submission struct {
	Service    string `json:"service"`
	Touchpoint string `json:"touchpoint"`
	Channel    string `json:"channel"`
	Period     string `json:"period"`
	Ratings    struct {
		Satisfaction   *int   `json:"satisfaction"`
		Effort         *int   `json:"effort"`
		FeltSafe       string `json:"felt_safe"`
		FeltBelieved   string `json:"felt_believed"`
		WouldRecommend *int   `json:"would_recommend"`
	} `json:"ratings"`
	Comment     string `json:"comment"`
	SubjectRef  string `json:"subject_ref"`
	Sensitivity string `json:"sensitivity"`
	Consent     struct {
		Purposes      []string `json:"purposes"`
		ShareWith     []string `json:"share_with"`
		Method        string   `json:"method"`
		NoticeVersion string   `json:"notice_version"`
	} `json:"consent"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("candour-anchor", flag.ContinueOnError)
	database := fs.String("database", "", "a PostgreSQL URL of a database holding Candour's schema")
	addr := fs.String("addr", "127.0.0.1:8430", "where to listen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *database == "" {
		return errors.New("--database is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool, err := pgxpool.New(ctx, *database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS anchor_feedback
		(LIKE feedback INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`); err != nil {
		return fmt.Errorf("the anchor's table cannot be created (has 'candour migrate up' run on this database?): %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/feedback", func(w http.ResponseWriter, r *http.Request) {
		var s submission
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		if err := dec.Decode(&s); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		id, _ := uuid.NewV7()
		sealed := make([]byte, 256+len(s.Comment)+len(s.SubjectRef)) // about an envelope's size
		rand.Read(sealed)
		now := time.Now()
		if _, err := pool.Exec(r.Context(), `INSERT INTO anchor_feedback (
			id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
			satisfaction, effort, felt_safe, felt_believed, would_recommend, sensitivity,
			consent_purposes, consent_share_with, consent_method, consent_notice_version,
			consent_captured_at, consent_captured_by, sealed, record_key, has_comment)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)`,
			id.String(), "victim-support-north", "anchor", now, s.Service, s.Touchpoint, s.Channel, s.Period,
			s.Ratings.Satisfaction, s.Ratings.Effort, s.Ratings.FeltSafe, s.Ratings.FeltBelieved, s.Ratings.WouldRecommend,
			s.Sensitivity, s.Consent.Purposes, nonNil(s.Consent.ShareWith), s.Consent.Method, s.Consent.NoticeVersion,
			now, "anchor", sealed, binary.BigEndian.Uint32(sealed[:4]), s.Comment != ""); err != nil {
			http.Error(w, "insert failed", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, id.String())
	})
	mux.HandleFunc("GET /v1/feedback/{id}", func(w http.ResponseWriter, r *http.Request) {
		var out struct {
			ID             string   `json:"id"`
			Agency         string   `json:"agency"`
			Service        string   `json:"service"`
			Touchpoint     string   `json:"touchpoint"`
			Channel        string   `json:"channel"`
			Period         string   `json:"period"`
			Satisfaction   *int     `json:"satisfaction"`
			Effort         *int     `json:"effort"`
			FeltSafe       string   `json:"felt_safe"`
			FeltBelieved   string   `json:"felt_believed"`
			WouldRecommend *int     `json:"would_recommend"`
			Sensitivity    string   `json:"sensitivity"`
			Purposes       []string `json:"purposes"`
			ShareWith      []string `json:"share_with"`
			Sealed         []byte   `json:"sealed"`
		}
		err := pool.QueryRow(r.Context(), `SELECT id, agency, service, touchpoint, channel, period, satisfaction, effort,
			felt_safe, felt_believed, would_recommend, sensitivity, consent_purposes, consent_share_with, sealed
			FROM anchor_feedback WHERE id = $1`, r.PathValue("id")).Scan(&out.ID, &out.Agency, &out.Service, &out.Touchpoint,
			&out.Channel, &out.Period, &out.Satisfaction, &out.Effort, &out.FeltSafe, &out.FeltBelieved, &out.WouldRecommend,
			&out.Sensitivity, &out.Purposes, &out.ShareWith, &out.Sealed)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(os.Stderr, "candour-anchor: listening on %s\n", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

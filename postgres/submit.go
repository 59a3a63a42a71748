package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/candour-vault/candour"
)

// errReplay rolls back a submission whose idempotency key was taken first by
// another.
var errReplay = errors.New("idempotency key already used")

// insertFeedback stores one record; its arguments are feedbackArgs'.
const insertFeedback = `INSERT INTO feedback (
	id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
	satisfaction, effort, felt_safe, felt_believed, would_recommend, sensitivity,
	consent_purposes, consent_share_with, consent_method, consent_notice_version,
	consent_expires_at, consent_captured_at, consent_captured_by, consent_withdrawn_at,
	subject_hash, sealed, record_key, age_band, sex, ethnic_group, disability, has_comment, receipt_hash)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31)`

func feedbackArgs(rec candour.Record) []any {
	c := rec.Consent
	var receipt []byte
	if u := rec.Invitation; u != nil {
		receipt = u.ReceiptHash
	}
	return []any{rec.ID, rec.Agency, rec.SubmittedBy, rec.SubmittedAt, rec.Service, rec.Touchpoint, rec.Channel, rec.Period,
		rec.Ratings.Satisfaction, rec.Ratings.Effort, rec.Ratings.FeltSafe, rec.Ratings.FeltBelieved,
		rec.Ratings.WouldRecommend, string(rec.Sensitivity),
		purposeStrings(c.Purposes), nonNil(c.ShareWith), c.Method, c.NoticeVersion,
		c.ExpiresAt, c.CapturedAt, c.CapturedBy, c.WithdrawnAt, rec.SubjectHash, rec.Sealed, rec.RecordKey,
		rec.Bands.AgeBand, rec.Bands.Sex, rec.Bands.EthnicGroup, rec.Bands.Disability, rec.HasComment, receipt}
}

// step is one statement of a submission's pipeline: how its result is read
// (nil: as a command) and what its refusal means to the caller (nil: the
// database's error, wrapped).
type step struct {
	what   string
	read   func(pgx.BatchResults) error
	refuse func(*pgconn.PgError) error
}

// submission is a record to store with its audit entry.
type submission struct {
	rec      candour.Record
	idem     candour.Idempotency
	agencies string // the agencies the submitting transaction may see
}

// queueFunc adds a statement to a pipeline.
type queueFunc func(st step, sql string, args ...any)

// queueRecord queues the submission's own statements: it names its agencies
// for what follows, stores a new data key, uses up an invitation, holds the
// subject's key, and inserts the record. Each refuses by raising an error.
func (sub *submission) queueRecord(queue queueFunc) {
	rec := sub.rec
	queue(step{what: "set agencies"}, setAgencies, sub.agencies)
	if k := rec.NewDataKey; k != nil {
		queue(step{what: "insert data key", refuse: onUnique(candour.ErrDataKeyTaken)},
			`INSERT INTO data_keys (id, wrapped) VALUES ($1, $2)`, k.ID, k.Wrapped)
	}
	if u := rec.Invitation; u != nil {
		queue(step{what: "use invitation", refuse: onCode("CD002", candour.ErrInvitationUsed)},
			`SELECT candour_use_invitation($1, $2)`, u.TokenHash, rec.SubmittedAt)
	}
	if k := rec.SealedUnder; k != nil {
		// Held until the commit: an erasure, a sweep or a re-key either sees
		// this record or has already changed the key, and then the record is
		// refused and sealed again under the key stored now.
		queue(step{what: "hold the subject's key", refuse: onCode("CD001", candour.ErrDataKeyGone)},
			`SELECT candour_hold_key($1, $2)`, k.ID, k.Wrapped)
	}
	queue(step{what: "insert feedback", refuse: onUnique(candour.Errorf(candour.ECONFLICT, "A record with this id already exists."))},
		insertFeedback, feedbackArgs(rec)...)
}

// queueIdempotency queues the submission's idempotency key, once the audit
// entries of its batch of n are appended, its own at place i (from 0).
func (sub *submission) queueIdempotency(n, i int, queue queueFunc) {
	idem := sub.idem
	queue(step{what: "insert idempotency key", refuse: onUnique(errReplay)},
		`INSERT INTO idempotency (issuer, subject, key, request_hash, record_id, audit_seq, created_at)
		VALUES ($1,$2,$3,$4,$5,(SELECT next FROM audit_head WHERE id = 1) - $6::bigint + $7::bigint,$8)`,
		idem.Issuer, idem.Subject, idem.Key, idem.RequestHash, sub.rec.ID, n, i, sub.rec.SubmittedAt)
}

// CreateFeedback implements candour.FeedbackStore.
//
// The submission is committed by the store's sequencer with whatever other
// submissions and audit entries arrived meanwhile: one pipeline, run by
// PostgreSQL as one implicit transaction that commits at its end (see
// sequencer). Every check that must refuse it (a subject key taken or gone,
// an invitation used, a duplicate id, an idempotency key taken) is an error
// raised in the database, not a decision in Go between round trips; a
// refused submission leaves nothing stored and takes no other with it.
func (d *DB) CreateFeedback(ctx context.Context, rec candour.Record, e candour.AuditEntry, idem candour.Idempotency) (candour.Receipt, error) {
	sub := &submission{rec: rec, idem: idem, agencies: strings.Join(candour.AgenciesFrom(ctx), ",")}
	seq, err := d.seq.append(ctx, e, sub)
	if err == nil {
		return candour.Receipt{ID: rec.ID, AuditSeq: seq}, nil
	}
	if idem.Key != "" {
		// A request already answered under this key gets that answer, whatever
		// refused its repetition (the key itself, or the link it used up).
		rc, rerr := d.replay(ctx, idem)
		switch {
		case rerr == nil, candour.ErrorCode(rerr) == candour.ECONFLICT:
			return rc, rerr
		case errors.Is(err, errReplay) && !errors.Is(rerr, pgx.ErrNoRows):
			return candour.Receipt{}, rerr
		}
	}
	return candour.Receipt{}, err
}

// refusal maps the first failing statement's error to what it means.
func refusal(s step, err error) error {
	var pe *pgconn.PgError
	if s.refuse != nil && errors.As(err, &pe) {
		if mapped := s.refuse(pe); mapped != nil {
			return mapped
		}
	}
	return fmt.Errorf("%s: %w", s.what, err)
}

func onUnique(to error) func(*pgconn.PgError) error { return onCode("23505", to) }

func onCode(code string, to error) func(*pgconn.PgError) error {
	return func(pe *pgconn.PgError) error {
		if pe.Code == code {
			return to
		}
		return nil
	}
}

// replay answers a request whose idempotency key is already stored:
// pgx.ErrNoRows when it is not.
func (d *DB) replay(ctx context.Context, idem candour.Idempotency) (candour.Receipt, error) {
	var (
		hash []byte
		rc   = candour.Receipt{Replayed: true}
	)
	err := d.pool.QueryRow(ctx, `SELECT request_hash, record_id, audit_seq FROM idempotency
		WHERE issuer = $1 AND subject = $2 AND key = $3`, idem.Issuer, idem.Subject, idem.Key).Scan(&hash, &rc.ID, &rc.AuditSeq)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return candour.Receipt{}, err
	case err != nil:
		return candour.Receipt{}, fmt.Errorf("select idempotency key: %w", err)
	case !bytes.Equal(hash, idem.RequestHash):
		return candour.Receipt{}, candour.Errorf(candour.ECONFLICT, "This Idempotency-Key was already used with a different request.")
	}
	return rc, nil
}

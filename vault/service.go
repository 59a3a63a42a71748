// Package vault is Candour's feedback service: it validates a submission, asks
// the policy, seals the identifying content, stores the record and audits
// every access. It talks to storage, keys and policy only through interfaces.
//
// Guarantees:
//   - nothing that could identify a person reaches storage unsealed: the
//     comment, subject reference and equality answers are sealed with age, and
//     the subject reference is otherwise kept only as a keyed hash; only a
//     coarser copy of the equality answers is kept in clear, and only under
//     consent to equality monitoring;
//   - a record and the audit entry of its creation are stored together or not
//     at all;
//   - a read is audited before any content is returned, and returns nothing if
//     the audit entry cannot be written;
//   - no policy decision, no audit write, or no key means no data (fail closed);
//   - a record the caller may not read looks exactly like one that does not
//     exist.
package vault

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// Service is the feedback service. It is safe for concurrent use.
type Service struct {
	store  Store
	dkeys  candour.DataKeyStore
	log    candour.AuditLog
	keys   *countingKEK
	cache  *keyCache
	dir    *keyDirectory
	pool   *keyPool // nil when key caching is off
	hits   atomic.Int64
	misses atomic.Int64
	up     func() bool
	policy candour.Authorizer
	now    func() time.Time
	newID  func() (string, error)
	logger *slog.Logger
	ret    RetentionPlanner

	linkBase      string
	invitationTTL time.Duration
	words         *words
}

// Store keeps sealed records and lists them for case management; it keeps
// legal holds, and reads the audit log for a record's access history.
type Store interface {
	candour.FeedbackStore
	candour.RecordLister
	candour.HoldStore
	candour.AuditReader
	candour.InvitationStore
}

// Config wires a Service. Now and NewID default to the wall clock and UUIDv7;
// Logger defaults to discarding.
type Config struct {
	Store    Store
	DataKeys candour.DataKeyStore
	Log      candour.AuditLog
	Keys     KEK
	Policy   candour.Authorizer
	Now      func() time.Time
	NewID    func() (string, error)
	Logger   *slog.Logger
	// KeyCaching bounds the cache of unwrapped data keys and turns on the
	// pool of pre-wrapped fresh keys; nil means DefaultCacheLimits, and
	// &CacheLimits{} turns both off (one provider call per record).
	KeyCaching *CacheLimits
	// KeysUp, when set, says whether the key provider is up; while it says
	// no, no key is used, cached or not (transit.Provider.Healthy).
	KeysUp func() bool
	// Retention, when set, answers the retention overview (retention.Sweeper).
	Retention RetentionPlanner
	// LinkBase is the public address feedback links start with
	// (https://feedback.example.org); without it no invitation is created.
	LinkBase string
	// InvitationTTL is how long a link works (DefaultInvitationTTL when
	// zero).
	InvitationTTL time.Duration
}

// RetentionPlanner tells what retention does to one agency's records.
type RetentionPlanner interface {
	Overview(ctx context.Context, agency string, now time.Time) (candour.RetentionOverview, error)
}

// New returns a Service built from c.
func New(c Config) *Service {
	s := &Service{store: c.Store, dkeys: c.DataKeys, log: c.Log, keys: &countingKEK{KEK: c.Keys}, policy: c.Policy,
		now: c.Now, newID: c.NewID, logger: c.Logger, up: c.KeysUp, ret: c.Retention,
		linkBase: strings.TrimRight(c.LinkBase, "/"), invitationTTL: c.InvitationTTL, words: newWords()}
	if s.invitationTTL <= 0 {
		s.invitationTTL = DefaultInvitationTTL
	}
	if s.up == nil {
		s.up = func() bool { return true }
	}
	if s.now == nil {
		s.now = time.Now
	}
	limits := DefaultCacheLimits
	if c.KeyCaching != nil {
		limits = *c.KeyCaching
	}
	s.cache = newKeyCache(limits, s.now)
	s.dir = newKeyDirectory(MaxKnownSubjects)
	if s.cache.enabled() {
		s.pool = &keyPool{maxAge: limits.PoolMaxAge, now: s.now}
		if s.pool.maxAge <= 0 {
			s.pool.maxAge = time.Minute
		}
	}
	if s.newID == nil {
		s.newID = func() (string, error) {
			id, err := uuid.NewV7()
			return id.String(), err
		}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// Submit validates f, and if policy allows the caller to record feedback for
// their own agency, seals and stores it with its audit entry. The owning
// agency and submitter are taken from the caller, never from f. With an
// idempotency key, a retry of the same request returns the first receipt and
// stores nothing new.
func (s *Service) Submit(ctx context.Context, c candour.Caller, f candour.Feedback, idem candour.Idempotency) (candour.Receipt, error) {
	now := s.clock()
	if err := f.Validate(now); err != nil {
		return candour.Receipt{}, err
	}
	if idem.Key != "" && !candour.ValidIdempotencyKey(idem.Key) {
		return candour.Receipt{}, candour.Errorf(candour.EINVALID, "Idempotency-Key must be 1 to 255 printable ASCII characters.")
	}
	p := c.Principal
	if f.Consent.Method == candour.ConsentMethodSelf {
		return candour.Receipt{}, candour.Errorf(candour.EINVALID, "consent.method self is set only when the person gives feedback through an invitation.")
	}
	idem.Issuer, idem.Subject = p.Issuer, p.Subject
	ctx = candour.WithAgencies(ctx, p.Agency)
	f.Agency, f.SubmittedBy, f.SubmittedAt = p.Agency, p.Subject, now
	f.Consent.CapturedAt, f.Consent.CapturedBy, f.Consent.WithdrawnAt = now, p.Subject, nil

	res := &candour.Resource{Agency: f.Agency, Service: f.Service, Sensitivity: f.Sensitivity, Consent: &f.Consent}
	d, err := s.decide(ctx, c, candour.ActionFeedbackCreate, res, now)
	if err != nil {
		return candour.Receipt{}, err
	}
	if !d.Allow {
		if _, err := s.audit(ctx, c, candour.ActionFeedbackCreate, nil, d, candour.OutcomeDenied, now); err != nil {
			return candour.Receipt{}, err
		}
		return candour.Receipt{}, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to record this feedback: %s.", strings.Join(d.Reasons, "; "))
	}

	var hash []byte
	if f.SubjectRef != "" {
		if hash, err = s.keys.SubjectHash(ctx, f.SubjectRef); err != nil {
			return candour.Receipt{}, unavailable(err, keysDown)
		}
	}
	return s.create(ctx, c, f, d, hash, nil, idem, now)
}

// keysDown is what a submission answers when the key provider fails.
const keysDown = "The key provider is unavailable; nothing was stored. Try again shortly."

// create seals f (allowed by d) and stores it with its audit entry: under
// the subject's key when hash is set, or a key of its own; with use, the
// invitation it came through is used up in the same transaction.
func (s *Service) create(ctx context.Context, c candour.Caller, f candour.Feedback, d candour.Decision, hash []byte,
	use *candour.InvitationUse, idem candour.Idempotency, now time.Time) (candour.Receipt, error) {
	id, err := s.newID()
	if err != nil {
		return candour.Receipt{}, fmt.Errorf("new record id: %w", err)
	}
	var rk [4]byte
	if _, err := rand.Read(rk[:]); err != nil {
		return candour.Receipt{}, err
	}
	rec := candour.Record{ID: id, Agency: f.Agency, SubmittedBy: f.SubmittedBy, SubmittedAt: now,
		Service: f.Service, Touchpoint: f.Touchpoint, Channel: f.Channel, Period: f.Period,
		Ratings: f.Ratings, Sensitivity: f.Sensitivity, Consent: f.Consent, RecordKey: binary.BigEndian.Uint32(rk[:]),
		HasComment: strings.TrimSpace(f.Comment) != "", SubjectHash: hash, Invitation: use}
	if f.Equality != nil && f.Consent.Covers(candour.PurposeEqualityMonitoring) {
		rec.Bands = f.Equality.Coarse() // the answers as given stay sealed
	}
	entry := s.entry(c, candour.ActionFeedbackCreate, []string{id}, d, candour.OutcomeOK, now)
	for attempt := 0; ; attempt++ {
		var (
			dataKey, wrapped []byte
			fresh            *candour.WrappedKey
		)
		if attempt == 0 && (rec.SubjectHash == nil || !s.dir.mayBeStored(keyID(rec))) {
			// The record's own key, named by the id just drawn, or the key of
			// a person the store has never seen (keyDirectory): nothing to
			// look up.
			dataKey, wrapped, fresh, err = s.newKey(ctx, keyID(rec))
		} else {
			dataKey, wrapped, fresh, err = s.keyFor(ctx, keyID(rec), true)
		}
		if err != nil {
			return candour.Receipt{}, unavailable(err, keyOrStore(err, keysDown, "The record store is unavailable; nothing was stored. Try again shortly."))
		}
		rec.Sealed, err = seal(dataKey, content{ID: id, Agency: f.Agency, Comment: f.Comment,
			SubjectRef: f.SubjectRef, Equality: f.Equality}, f.Consent)
		if err != nil {
			clear(dataKey)
			return candour.Receipt{}, unavailable(err, keysDown)
		}
		// A new data key is stored with the record, in one transaction: a
		// submission that fails (its audit write, say) leaves no key behind.
		rec.NewDataKey, rec.SealedUnder = fresh, nil
		if fresh == nil && rec.SubjectHash != nil {
			rec.SealedUnder = &candour.WrappedKey{ID: keyID(rec), Wrapped: wrapped}
		}
		rc, err := s.store.CreateFeedback(ctx, rec, entry, idem)
		if (errors.Is(err, candour.ErrDataKeyTaken) || errors.Is(err, candour.ErrDataKeyGone)) && attempt < 2 {
			// Another submission (here or on another server) stored the
			// subject's key first, or an erasure or a sweep took it: seal
			// again under the key stored now.
			clear(dataKey)
			s.cache.drop(keyID(rec))
			s.dir.add(keyID(rec))
			continue
		}
		if err == nil && fresh != nil {
			s.cache.put(fresh.ID, dataKey, fresh.Wrapped)
			if rec.SubjectHash != nil {
				s.dir.add(fresh.ID)
			}
		}
		clear(dataKey)
		if err != nil {
			return candour.Receipt{}, unavailable(err, "The record store is unavailable; nothing was stored. Try again shortly.")
		}
		return rc, nil
	}
}

// Read returns the record with the given id if policy allows the caller to
// read it for the declared purpose. The read is audited before the record is
// returned; a record the caller may not read answers ENOTFOUND, like one that
// does not exist.
func (s *Service) Read(ctx context.Context, c candour.Caller, id string) (candour.Feedback, error) {
	now := s.clock()
	ctx = candour.WithAgencies(ctx, c.Principal.Agency)
	if c.Purpose == "" {
		return candour.Feedback{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required to read feedback.")
	}
	notFound := candour.Errorf(candour.ENOTFOUND, "No such record.")
	if uuid.Validate(id) != nil {
		return candour.Feedback{}, notFound
	}
	rec, d, err := s.lookup(ctx, c, candour.ActionFeedbackRead, id, now)
	if err != nil {
		return candour.Feedback{}, err
	}

	cont, err := s.open(ctx, rec)
	if err != nil {
		if _, aerr := s.audit(ctx, c, candour.ActionFeedbackRead, []string{id}, d, candour.OutcomeUnavailable, now); aerr != nil {
			return candour.Feedback{}, aerr
		}
		if errors.Is(err, errEnvelope) {
			s.logger.Error("sealed payload failed to open", "record", id, "request_id", c.RequestID, "err", err)
			return candour.Feedback{}, fmt.Errorf("%w: %w", candour.Errorf(candour.EINTERNAL, "The record could not be opened."), err)
		}
		return candour.Feedback{}, unavailable(err, keyOrStore(err, "The key provider is unavailable. Try again shortly.", "The record store is unavailable. Try again shortly."))
	}
	if _, err := s.audit(ctx, c, candour.ActionFeedbackRead, []string{id}, d, candour.OutcomeOK, now); err != nil {
		return candour.Feedback{}, err
	}
	return candour.Feedback{
		ID: rec.ID, Agency: rec.Agency, SubmittedBy: rec.SubmittedBy, SubmittedAt: rec.SubmittedAt,
		Service: rec.Service, Touchpoint: rec.Touchpoint, Channel: rec.Channel, Period: rec.Period,
		Ratings: rec.Ratings, Sensitivity: rec.Sensitivity, Consent: rec.Consent,
		Comment: cont.Comment, SubjectRef: cont.SubjectRef, Equality: cont.Equality,
	}, nil
}

// lookup finds the record a read or a withdrawal names and asks the policy
// about it. Whatever happens, the policy is asked and the answer audited:
// about the record as stored, about what little is known of a record the
// store does not show this caller (another agency's, under row-level
// security: its agency only), or about a record that does not exist (its id
// only). So every audit entry names a decision and its policy revision, and
// a refused request takes the same path as one for a missing record. Every
// refusal answers ENOTFOUND: the caller cannot tell the two apart.
func (s *Service) lookup(ctx context.Context, c candour.Caller, a candour.Action, id string, now time.Time) (candour.Record, candour.Decision, error) {
	notFound := candour.Errorf(candour.ENOTFOUND, "No such record.")
	rec, err := s.store.Record(ctx, id)
	var res *candour.Resource
	outcome := candour.OutcomeDenied
	switch {
	case err == nil:
		res = &candour.Resource{ID: rec.ID, Agency: rec.Agency, Service: rec.Service, Sensitivity: rec.Sensitivity, Consent: &rec.Consent}
	case candour.ErrorCode(err) == candour.ENOTFOUND:
		agency, aerr := s.store.RecordAgency(ctx, id)
		switch {
		case aerr == nil:
			res = &candour.Resource{ID: id, Agency: agency}
		case candour.ErrorCode(aerr) == candour.ENOTFOUND:
			res, outcome = &candour.Resource{ID: id}, candour.OutcomeNotFound
		default:
			return candour.Record{}, candour.Decision{}, unavailable(aerr, "The record store is unavailable. Try again shortly.")
		}
	default:
		return candour.Record{}, candour.Decision{}, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	d, err := s.decide(ctx, c, a, res, now)
	if err != nil {
		return candour.Record{}, candour.Decision{}, err
	}
	if rec.ID == "" || !d.Allow {
		if _, err := s.audit(ctx, c, a, []string{id}, d, outcome, now); err != nil {
			return candour.Record{}, candour.Decision{}, err
		}
		return candour.Record{}, candour.Decision{}, notFound
	}
	return rec, d, nil
}

// clock returns the time in UTC at the microsecond precision every store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// decide asks the policy. An evaluation failure is audited (best effort) and
// answered EUNAVAILABLE: no decision, no data.
func (s *Service) decide(ctx context.Context, c candour.Caller, a candour.Action, r *candour.Resource, now time.Time) (candour.Decision, error) {
	d, err := s.policy.Decide(ctx, candour.DecisionInput{Principal: c.Principal, Action: a, Purpose: c.Purpose, Resource: r, Now: now})
	if err == nil {
		return d, nil
	}
	var records []string
	if r != nil && r.ID != "" {
		records = []string{r.ID}
	}
	if _, aerr := s.audit(ctx, c, a, records, candour.Decision{}, candour.OutcomeUnavailable, now); aerr != nil {
		s.logger.Error("audit of a failed policy decision was not written", "request_id", c.RequestID, "err", aerr)
	}
	return candour.Decision{}, unavailable(err, "The policy engine could not decide; nothing was done. Try again shortly.")
}

// audit appends one entry; a failure is EUNAVAILABLE, so the caller returns no
// data.
func (s *Service) audit(ctx context.Context, c candour.Caller, a candour.Action, records []string, d candour.Decision, outcome string, now time.Time) (int64, error) {
	seq, err := s.log.AppendAudit(ctx, s.entry(c, a, records, d, outcome, now))
	if err != nil {
		return 0, unavailable(err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	return seq, nil
}

func (s *Service) entry(c candour.Caller, a candour.Action, records []string, d candour.Decision, outcome string, now time.Time) candour.AuditEntry {
	return candour.AuditEntry{
		Time: now, RequestID: c.RequestID, Actor: c.Principal, Action: a, Purpose: c.Purpose,
		Records: records, Outcome: outcome,
		Decision: candour.AuditDecision{ID: d.ID, Revision: d.Revision, Allow: d.Allow},
		Flag:     d.Obligations.AuditFlag,
	}
}

// unavailable marks err as EUNAVAILABLE with a client-safe message.
func unavailable(err error, msg string) error { return candour.Wrap(candour.EUNAVAILABLE, err, msg) }

// OpenComments opens the comments of records the caller's policy decision
// already allowed (insight), for redaction. It fails if any cannot be opened.
func (s *Service) OpenComments(ctx context.Context, recs []candour.Record) ([]string, error) {
	out := make([]string, len(recs))
	for i, rec := range recs {
		c, err := s.open(ctx, rec)
		if err != nil {
			return nil, unavailable(err, "A comment could not be opened. Try again shortly.")
		}
		out[i] = c.Comment
	}
	return out, nil
}

package candour

import (
	"context"
	"slices"
	"time"
)

// Retention is how long records are kept, as the policy data says
// (data.json "retention"): rules per agency, service and sensitivity, and a
// grace period after a person's consent expires.
type Retention struct {
	Rules []RetentionRule
	// ConsentGraceDays is how long a record whose consent expired is kept
	// (out of every read and scope already) before it is destroyed.
	ConsentGraceDays int
}

// RetentionRule keeps the records of one agency (and, when set, of one
// service and one sensitivity) for Months after the month of the
// interaction: a record of 2024-11 under a 24-month rule is destroyed from
// the first day of 2026-12. A withdrawn record, which keeps only its id,
// consent record and withdrawal time, is kept for Months after the
// withdrawal, as the proof that it was done.
type RetentionRule struct {
	ID          string      `json:"id"`
	Agency      string      `json:"agency"`
	Service     string      `json:"service,omitempty"`
	Sensitivity Sensitivity `json:"sensitivity,omitempty"`
	Months      int         `json:"months"`
}

// Rule returns the rule that applies to a record of agency, service and
// sensitivity: the most specific one (service and sensitivity, then service,
// then sensitivity, then the agency's own), and whether there is one. A
// record no rule covers is kept.
func (r Retention) Rule(agency, service string, sens Sensitivity) (RetentionRule, bool) {
	best, score := RetentionRule{}, -1
	for _, rule := range r.Rules {
		if rule.Agency != agency || (rule.Service != "" && rule.Service != service) ||
			(rule.Sensitivity != "" && rule.Sensitivity != sens) {
			continue
		}
		s := 0
		if rule.Service != "" {
			s += 2
		}
		if rule.Sensitivity != "" {
			s++
		}
		if s > score {
			best, score = rule, s
		}
	}
	return best, score >= 0
}

// ConsentGraceRule names, in sweep reports and audit entries, the
// destruction of records whose consent expired more than the grace period
// ago.
const ConsentGraceRule = "consent-expiry-grace"

// Due returns when row is to be destroyed and the rule that says so, or
// false when no rule covers it. The earlier of its rule's time and its
// consent's expiry plus the grace period applies.
func (r Retention) Due(row RetentionRow) (at time.Time, rule string, ok bool) {
	if row.WithdrawnAt != nil {
		// A withdrawn record has no service or month left: the agency's
		// own rule counts from the withdrawal.
		ru, found := r.Rule(row.Agency, "", "")
		if !found {
			return time.Time{}, "", false
		}
		return row.WithdrawnAt.AddDate(0, ru.Months, 0), ru.ID, true
	}
	if ru, found := r.Rule(row.Agency, row.Service, row.Sensitivity); found {
		if month, err := time.Parse("2006-01", row.Period); err == nil {
			at, rule, ok = month.AddDate(0, ru.Months+1, 0), ru.ID, true
		}
	}
	if row.ExpiresAt != nil {
		grace := row.ExpiresAt.AddDate(0, 0, r.ConsentGraceDays)
		if !ok || grace.Before(at) {
			at, rule, ok = grace, ConsentGraceRule, true
		}
	}
	return at, rule, ok
}

// RetentionRow is what the sweeper reads of a record: never its content.
type RetentionRow struct {
	ID          string
	Agency      string
	Service     string
	Sensitivity Sensitivity
	Period      string
	ExpiresAt   *time.Time
	WithdrawnAt *time.Time
	// Held is set when a legal hold in force covers the record (its own,
	// or its subject's).
	Held bool
}

// RetentionQuery selects the records a sweep need look at: of one agency
// (every agency when ""), and only those that could be due: of a month up
// to PeriodThrough, or whose consent expired before ExpiredBefore, or that
// were withdrawn before WithdrawnBefore. The rules decide which of them are.
type RetentionQuery struct {
	Agency          string
	PeriodThrough   string // YYYY-MM
	ExpiredBefore   time.Time
	WithdrawnBefore time.Time
	After           string
	Limit           int
}

// ReleaseCell is the anonymous released copies of one agency's service,
// sensitivity and month (insight_release_rows), which retention destroys
// with the month's records.
type ReleaseCell struct {
	Agency, Service, Period string
	Sensitivity             Sensitivity
	Rows                    int
}

// Sweep is one run of the retention sweeper, as the data protection
// officer's overview lists it.
type Sweep struct {
	StartedAt, FinishedAt time.Time
	Revision              string         // the policy revision whose rules applied
	Examined              int            // records read
	Destroyed             int            // records destroyed
	Held                  int            // records due but under a legal hold
	ByRule                map[string]int // records destroyed, by SweepRuleKey
	AuditSeq              int64          // the last audit entry of the sweep
	// Invitations is how many feedback links that expired more than
	// InvitationKeep ago were deleted (not kept with the sweep's record).
	Invitations int
}

// InvitationKeep is how long after it expires a feedback link's row is
// kept (so that the person who made it sees it expired), before the
// retention sweeper deletes it with its subject hash.
const InvitationKeep = 30 * 24 * time.Hour

// RetentionStore is what the retention sweeper needs of storage. Every
// method works across agencies: the sweeper is the system, not a person,
// and its context names every agency (WithAgencies).
type RetentionStore interface {
	// RetentionRows returns up to q.Limit records that q admits with ids
	// after q.After, in id order, as the sweeper reads them.
	RetentionRows(ctx context.Context, q RetentionQuery) ([]RetentionRow, error)
	// DestroyRecords deletes the records with the given ids that are still
	// there and not under a legal hold, with their own data keys, their
	// subjects' data keys when no record of the subject is left in the
	// agency, and their part in the insight release groups (counted as
	// lost), and appends e naming the destroyed ids, all in one
	// transaction. It returns the ids it destroyed (none twice, whoever else
	// sweeps) and the last entry's sequence number.
	DestroyRecords(ctx context.Context, ids []string, e AuditEntry) (destroyed []string, seq int64, err error)
	// ReleaseCells lists the released anonymous copies by cell.
	ReleaseCells(ctx context.Context) ([]ReleaseCell, error)
	// DestroyReleaseCells deletes the released copies of the given cells
	// and sums their months again.
	DestroyReleaseCells(ctx context.Context, cells []ReleaseCell) (rows int, err error)
	// AcquireSweepLease makes holder the only sweeper until until, unless
	// another holds an unexpired lease at now; it reports whether holder
	// has it. A holder may renew its own lease.
	AcquireSweepLease(ctx context.Context, holder string, now, until time.Time) (bool, error)
	// ReleaseSweepLease gives up holder's lease.
	ReleaseSweepLease(ctx context.Context, holder string) error
	// DeleteInvitations deletes the invitations (used or not) that expired
	// before before, and returns how many.
	DeleteInvitations(ctx context.Context, before time.Time) (int, error)
	// AddSweep records a finished sweep; Sweeps lists the latest first.
	AddSweep(ctx context.Context, s Sweep) error
	Sweeps(ctx context.Context, limit int) ([]Sweep, error)
}

// LegalHold keeps a record, or every record of a subject in an agency, from
// the retention sweeper until it is released.
type LegalHold struct {
	ID          string     `json:"id"`
	Agency      string     `json:"agency"`
	RecordID    string     `json:"record_id,omitempty"`
	SubjectHash []byte     `json:"-"` // set for a subject's hold; the reference itself is never kept
	Reason      string     `json:"reason"`
	ReviewBy    time.Time  `json:"review_by"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	ReleasedAt  *time.Time `json:"released_at,omitempty"`
	ReleasedBy  string     `json:"released_by,omitempty"`
}

// HoldStore keeps legal holds.
type HoldStore interface {
	// AddHold stores h and appends e, in one transaction.
	AddHold(ctx context.Context, h LegalHold, e AuditEntry) (seq int64, err error)
	// ReleaseHold ends the hold id of agency at at, and appends e, in one
	// transaction: ENOTFOUND when there is no such hold in force.
	ReleaseHold(ctx context.Context, agency, id string, at time.Time, by string, e AuditEntry) (seq int64, err error)
	// Holds lists agency's holds, those in force first, newest first.
	Holds(ctx context.Context, agency string) ([]LegalHold, error)
}

// Correction is what a caseworker changes in a record (PATCH
// /v1/feedback/{id}): a field that is nil stays as it is. Consent can only be
// narrowed here (a purpose or a partner taken away); widening it needs a new
// capture with the person.
type Correction struct {
	Touchpoint  *string      `json:"touchpoint,omitempty"`
	Channel     *string      `json:"channel,omitempty"`
	Ratings     *Ratings     `json:"ratings,omitempty"`
	Comment     *string      `json:"comment,omitempty"`
	Sensitivity *Sensitivity `json:"sensitivity,omitempty"`
	Purposes    []Purpose    `json:"purposes,omitempty"`
	ShareWith   *[]string    `json:"share_with,omitempty"`
}

// Fields names the fields c changes, in a stable order, for the audit
// entry: names only, never values.
func (c Correction) Fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"touchpoint", c.Touchpoint != nil}, {"channel", c.Channel != nil}, {"ratings", c.Ratings != nil},
		{"comment", c.Comment != nil}, {"sensitivity", c.Sensitivity != nil},
		{"consent.purposes", c.Purposes != nil}, {"consent.share_with", c.ShareWith != nil},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Changed names the fields whose values differ between two versions of a
// record, in the order of Correction.Fields: what a correction really
// changed, whatever it named.
func Changed(before, after Feedback) []string {
	sameSet := func(a, b []string) bool {
		return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
	}
	purposes := func(ps []Purpose) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = string(p)
		}
		return out
	}
	var out []string
	for _, f := range []struct {
		name    string
		changed bool
	}{
		{"touchpoint", before.Touchpoint != after.Touchpoint}, {"channel", before.Channel != after.Channel},
		{"ratings", !before.Ratings.Equal(after.Ratings)}, {"comment", before.Comment != after.Comment},
		{"sensitivity", before.Sensitivity != after.Sensitivity},
		{"consent.purposes", !sameSet(purposes(before.Consent.Purposes), purposes(after.Consent.Purposes))},
		{"consent.share_with", !sameSet(before.Consent.ShareWith, after.Consent.ShareWith)},
	} {
		if f.changed {
			out = append(out, f.name)
		}
	}
	return out
}

// Corrected acknowledges a correction.
type Corrected struct {
	ID          string    `json:"id"`
	CorrectedAt time.Time `json:"corrected_at"`
	Fields      []string  `json:"fields"`
	AuditSeq    int64     `json:"audit_seq"`
}

// SubjectAccess answers a subject access request: every record an agency
// holds about the subject, opened, and who has accessed each.
type SubjectAccess struct {
	Agency      string          `json:"agency"`
	GeneratedAt time.Time       `json:"generated_at"`
	Records     []SubjectRecord `json:"records"`
	AuditSeq    int64           `json:"audit_seq"`
}

// SubjectRecord is one record of a subject access answer. A withdrawn record
// has no content left: only the fact of it and its withdrawal.
type SubjectRecord struct {
	Feedback
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
	Held        bool       `json:"held,omitempty"`
	Accesses    []Access   `json:"accesses"`
}

// Access is one entry of a record's access history as the person sees it:
// when, what was done, by which role of which agency, for what purpose, and
// whether it was allowed. Staff are not named: they are people too.
type Access struct {
	Time     time.Time `json:"time"`
	Action   Action    `json:"action"`
	Roles    []Role    `json:"roles,omitempty"`
	Agency   string    `json:"agency,omitempty"`
	Purpose  Purpose   `json:"purpose,omitempty"`
	Outcome  string    `json:"outcome"`
	AuditSeq int64     `json:"audit_seq"`
}

// ErasurePreview is what an erasure of a subject would destroy, before the
// data protection officer confirms it.
type ErasurePreview struct {
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn"` // of which already withdrawn (no content left)
	Held      int `json:"held"`      // of which under a legal hold
	Released  int `json:"released"`  // of which counted in released months
}

// RetentionOverview is what the data protection officer's retention page
// shows of one agency: the rules in force, the latest sweeps (counting only
// this agency's records), and what is due now and in the next 30 days.
type RetentionOverview struct {
	Agency           string          `json:"agency"`
	Revision         string          `json:"revision"`
	Rules            []RetentionRule `json:"rules"`
	ConsentGraceDays int             `json:"consent_grace_days"`
	Sweeps           []Sweep         `json:"sweeps"`
	// DueNow counts the records past their time that the next sweep will
	// destroy; Upcoming those due within 30 days, by rule; Held those due
	// but kept by a legal hold.
	DueNow   int            `json:"due_now"`
	Upcoming map[string]int `json:"upcoming"`
	Held     int            `json:"held"`
}

// SweepRuleKey is how a sweep counts an agency's records under a rule: the
// consent-grace rule is everyone's, so the agency is part of the key.
func SweepRuleKey(agency, rule string) string { return agency + "/" + rule }

// HoldRequest places a legal hold on one record (RecordID) or on every
// record of a subject (SubjectRef, which is hashed and forgotten).
type HoldRequest struct {
	RecordID   string    `json:"record_id,omitempty"`
	SubjectRef string    `json:"subject_ref,omitempty"`
	Reason     string    `json:"reason"`
	ReviewBy   time.Time `json:"review_by"`
}

// MaxHoldReason is the longest reason a legal hold may give.
const MaxHoldReason = 500

// Package candour holds Candour's domain types and the small interfaces
// between its packages. It imports nothing of the project; every other package
// imports it.
//
// A feedback record has two halves. The analytical dimensions (agency,
// service, touchpoint, channel, month, ratings, sensitivity, consent) are
// stored in clear so that aggregates need no decryption. Everything that could
// identify a person — the free-text comment, the subject reference and the
// equality-monitoring answers as given — travels only inside a sealed
// envelope. Under consent to equality monitoring, a coarser copy of those
// answers (Equality.Coarse) is also kept in clear, for counting.
package candour

import (
	"context"
	"slices"
	"time"
)

// Role is what a principal may do, as carried in the token's "roles" claim.
type Role string

// The roles Candour knows.
const (
	RoleCaseworker Role = "caseworker"
	RoleAnalyst    Role = "analyst"
	RoleAuditor    Role = "auditor"
	RoleAdmin      Role = "admin"
)

// Roles lists every role, in a stable order.
func Roles() []Role { return []Role{RoleCaseworker, RoleAnalyst, RoleAuditor, RoleAdmin} }

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Principal is the authenticated caller, taken from a verified token.
type Principal struct {
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
	Agency  string `json:"agency"`
	Roles   []Role `json:"roles"`
}

// Has reports whether the principal holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Purpose is why a request reads data, sent in the Candour-Purpose header and
// recorded in consent.
type Purpose string

// The purposes Candour knows.
const (
	PurposeCaseManagement     Purpose = "case_management"
	PurposeServiceImprovement Purpose = "service_improvement"
	PurposeInterAgency        Purpose = "inter_agency_insight"
	PurposeResearch           Purpose = "research"
	PurposeEqualityMonitoring Purpose = "equality_monitoring"
	PurposeContactBack        Purpose = "contact_back"
	PurposeAudit              Purpose = "audit"
)

// RequestPurposes lists the purposes a request may declare.
func RequestPurposes() []Purpose {
	return []Purpose{PurposeCaseManagement, PurposeServiceImprovement, PurposeInterAgency,
		PurposeResearch, PurposeEqualityMonitoring, PurposeAudit}
}

// ConsentPurposes lists the purposes a person can consent to.
func ConsentPurposes() []Purpose {
	return []Purpose{PurposeServiceImprovement, PurposeInterAgency, PurposeResearch,
		PurposeEqualityMonitoring, PurposeContactBack}
}

// Sensitivity classifies a record; it decides how far the record may travel.
type Sensitivity string

// The sensitivities Candour knows.
const (
	SensitivityStandard        Sensitivity = "standard"
	SensitivitySpecialCategory Sensitivity = "special_category"
	SensitivitySafeguarding    Sensitivity = "safeguarding"
)

// Ratings are the person's answers. Each is optional; nil means not asked or
// not answered.
type Ratings struct {
	Satisfaction   *int   `json:"satisfaction,omitempty"`    // 1–5
	Effort         *int   `json:"effort,omitempty"`          // 1–5
	FeltSafe       string `json:"felt_safe,omitempty"`       // yes, no, partly
	FeltBelieved   string `json:"felt_believed,omitempty"`   // yes, no, partly
	WouldRecommend *int   `json:"would_recommend,omitempty"` // 0–10
}

// Equal reports whether r and o hold the same answers.
func (r Ratings) Equal(o Ratings) bool {
	eq := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(r.Satisfaction, o.Satisfaction) && eq(r.Effort, o.Effort) && eq(r.WouldRecommend, o.WouldRecommend) &&
		r.FeltSafe == o.FeltSafe && r.FeltBelieved == o.FeltBelieved
}

// Empty reports whether no rating was given.
func (r Ratings) Empty() bool {
	return r.Satisfaction == nil && r.Effort == nil && r.FeltSafe == "" &&
		r.FeltBelieved == "" && r.WouldRecommend == nil
}

// Consent is what the person agreed to, on every record.
type Consent struct {
	Purposes      []Purpose  `json:"purposes"`
	ShareWith     []string   `json:"share_with,omitempty"`
	Method        string     `json:"method"`
	NoticeVersion string     `json:"notice_version"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	CapturedAt    time.Time  `json:"captured_at"`
	CapturedBy    string     `json:"captured_by"`
	WithdrawnAt   *time.Time `json:"withdrawn_at,omitempty"`
}

// Covers reports whether the consent includes purpose p.
func (c Consent) Covers(p Purpose) bool { return slices.Contains(c.Purposes, p) }

// Equality holds a person's equality-monitoring answers, given only under
// consent to equality monitoring. As submitted they travel only sealed; the
// coarser bands of Coarse are what storage holds in clear.
type Equality struct {
	AgeBand     string `json:"age_band,omitempty"`
	Sex         string `json:"sex,omitempty"`
	EthnicGroup string `json:"ethnic_group,omitempty"`
	Disability  string `json:"disability,omitempty"`
}

// coarseAge maps a submitted age band onto the four wide bands kept in clear.
var coarseAge = map[string]string{
	"under_18": "under_25", "18-24": "under_25", "25-34": "25-44", "35-44": "25-44",
	"45-54": "45-64", "55-64": "45-64", "65-74": "65+", "75+": "65+", "prefer_not_to_say": "prefer_not_to_say",
}

// Coarse returns the bands kept in clear for grouping: age widened to
// under_25, 25-44, 45-64 and 65+; sex, ethnic group (the five top-level ONS
// groups) and disability as given, since they are no finer than that. A value
// Coarse does not know becomes "" (not given), so nothing finer than a band
// can reach a clear column.
func (e Equality) Coarse() Equality {
	known := func(v string, allowed []string) string {
		if slices.Contains(allowed, v) {
			return v
		}
		return ""
	}
	return Equality{AgeBand: coarseAge[e.AgeBand], Sex: known(e.Sex, sexes),
		EthnicGroup: known(e.EthnicGroup, ethnicGroups), Disability: known(e.Disability, disabilities)}
}

// Feedback is one record as a caseworker submitted it, in the clear. It exists
// only in memory on the request path; storage sees a Record.
type Feedback struct {
	ID          string      `json:"id"`
	Agency      string      `json:"agency"`
	SubmittedBy string      `json:"submitted_by"`
	SubmittedAt time.Time   `json:"submitted_at"`
	Service     string      `json:"service"`
	Touchpoint  string      `json:"touchpoint,omitempty"`
	Channel     string      `json:"channel,omitempty"`
	Period      string      `json:"period"`
	Ratings     Ratings     `json:"ratings"`
	Comment     string      `json:"comment,omitempty"`
	SubjectRef  string      `json:"subject_ref,omitempty"`
	Sensitivity Sensitivity `json:"sensitivity"`
	Consent     Consent     `json:"consent"`
	Equality    *Equality   `json:"equality,omitempty"`
}

// Record is a feedback record as storage holds it: the analytical dimensions
// (coarse equality bands among them, under consent) in clear, the identifying
// content only as Sealed, and the subject reference only as a keyed hash.
type Record struct {
	ID          string
	Agency      string
	SubmittedBy string
	SubmittedAt time.Time
	Service     string
	Touchpoint  string
	Channel     string
	Period      string
	Ratings     Ratings
	Sensitivity Sensitivity
	Consent     Consent
	SubjectHash []byte // keyed hash of the subject reference; nil when none was given
	Sealed      []byte // the envelope holding comment, subject reference and equality answers as given
	RecordKey   uint32 // random, never shown; disclosure control's cell keys sum it
	// HasComment says whether the sealed content holds a comment, so that
	// insight decides which comment groups it may publish before it opens
	// anything.
	HasComment bool
	// Released is set once the record's period is released for insight
	// (and the record was in the release).
	Released bool
	// SealedUnder, when set, is the stored data key the record was sealed
	// under (its subject's), by id and wrapped form: CreateFeedback holds
	// that key until it commits, and refuses the record with ErrDataKeyGone
	// when it is no longer stored as it was (an erasure or a sweep took it,
	// or a correction re-keyed the subject, meanwhile).
	SealedUnder *WrappedKey
	// NewDataKey, when set, is the record's data key, new with this record:
	// CreateFeedback stores it in the same transaction as the record, so a
	// submission that fails leaves no key behind. ErrDataKeyTaken when
	// another key was stored under its id first.
	NewDataKey *WrappedKey
	// Bands are the coarse equality bands (Equality.Coarse) in clear, set only
	// when the consent covers equality monitoring; zero otherwise, and
	// cleared when consent is withdrawn.
	Bands Equality
	// OwnKey is set once a record is corrected: from then on it is sealed
	// under a data key of its own (RecordKeyID), even when it has a subject
	// reference, so that each correction can destroy the key of the content
	// it replaces.
	OwnKey bool
	// CorrectedAt is when the record was last corrected; nil if never.
	CorrectedAt *time.Time
	// Invitation, when set, is the invitation the person used to give this
	// record (InvitationUse); it is not stored with the record.
	Invitation *InvitationUse
}

// Decision is the policy's answer to one request. The zero value denies.
type Decision struct {
	ID          string      `json:"id"`
	Revision    string      `json:"revision"`
	Allow       bool        `json:"allow"`
	Reasons     []string    `json:"reasons,omitempty"`
	Obligations Obligations `json:"obligations"`
	// Scope bounds list and aggregate queries: only rows it contains may be
	// read. It is empty for single-record and non-data requests.
	Scope Scope `json:"scope"`
}

// Obligations are what an allowing decision requires of the response.
type Obligations struct {
	Redaction   string   `json:"redaction,omitempty"` // none, redacted
	MinCellSize int      `json:"min_cell_size,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	// AuditFlag, when set, is written into the audit entry so that the access
	// stands out (an administrator reading content).
	AuditFlag string `json:"audit_flag,omitempty"`
	// ExportRecipient is the age public key an export must be encrypted to.
	ExportRecipient string `json:"export_recipient,omitempty"`
	// AuditAgencies are the agencies whose part of the audit log a reader
	// may see (their staff's entries and those about their records); "*"
	// is the whole log, for an oversight body.
	AuditAgencies []string `json:"audit_agencies,omitempty"`
}

// Scope is the set of records a list or aggregate query may read: a record is
// in scope when its consent is live and at least one grant contains it.
type Scope struct {
	Grants []ScopeGrant `json:"grants"`
}

// ScopeGrant admits the records of one agency whose sensitivity is listed,
// whose consent includes every listed purpose and, when SharedWith is set,
// whose consent names that agency among those it may be shared with.
type ScopeGrant struct {
	Agency        string        `json:"agency"`
	Purposes      []Purpose     `json:"purposes"`
	Sensitivities []Sensitivity `json:"sensitivities"`
	SharedWith    string        `json:"shared_with,omitempty"`
	Fields        []string      `json:"fields,omitempty"`
}

// Live reports whether consent is in force at now: not withdrawn and not
// expired.
func (c Consent) Live(now time.Time) bool {
	return c.WithdrawnAt == nil && (c.ExpiresAt == nil || c.ExpiresAt.After(now))
}

// Contains reports whether r is in the scope at now. Stores turn the same
// rule into SQL; this is its reference definition.
func (s Scope) Contains(r Record, now time.Time) bool {
	if !r.Consent.Live(now) {
		return false
	}
	for _, g := range s.Grants {
		if g.contains(r) {
			return true
		}
	}
	return false
}

func (g ScopeGrant) contains(r Record) bool {
	return g.admits(r.Agency, r.Sensitivity, r.Consent.Purposes, r.Consent.ShareWith)
}

func (g ScopeGrant) admits(agency string, sens Sensitivity, purposes []Purpose, shareWith []string) bool {
	if agency != g.Agency || !slices.Contains(g.Sensitivities, sens) || len(g.Purposes) == 0 {
		return false
	}
	for _, p := range g.Purposes {
		if !slices.Contains(purposes, p) {
			return false
		}
	}
	return g.SharedWith == "" || slices.Contains(shareWith, g.SharedWith)
}

// Action names what a request does, as policy and the audit log see it.
type Action string

// The actions Candour knows.
const (
	ActionFeedbackCreate   Action = "feedback.create"
	ActionFeedbackRead     Action = "feedback.read"
	ActionFeedbackWithdraw Action = "feedback.withdraw"
	ActionFeedbackList     Action = "feedback.list"
	ActionAuditRead        Action = "audit.read"
	ActionAuditCheckpoint  Action = "audit.checkpoint"
	ActionInsightSummary   Action = "insight.summary"
	ActionInsightComments  Action = "insight.comments"
	ActionInsightExport    Action = "insight.export"
	ActionInsightRelease   Action = "insight.release"
	ActionKeysRotate       Action = "keys.rotate"
	ActionSubjectErase     Action = "subject.erase"
	ActionFeedbackCorrect  Action = "feedback.correct"
	ActionSubjectAccess    Action = "subject.access"
	ActionErasurePreview   Action = "subject.erase_preview"
	ActionRetentionSweep   Action = "retention.sweep"
	ActionRetentionRead    Action = "retention.read"
	ActionHoldPlace        Action = "hold.place"
	ActionHoldRelease      Action = "hold.release"
)

// Actions lists every action Candour asks the policy about, in a stable
// order.
func Actions() []Action {
	return []Action{ActionFeedbackCreate, ActionFeedbackRead, ActionFeedbackWithdraw, ActionFeedbackList,
		ActionAuditRead, ActionAuditCheckpoint, ActionInsightSummary, ActionInsightComments, ActionInsightExport,
		ActionInsightRelease, ActionKeysRotate, ActionSubjectErase, ActionFeedbackCorrect, ActionSubjectAccess,
		ActionErasurePreview, ActionRetentionSweep, ActionRetentionRead, ActionHoldPlace, ActionHoldRelease,
		ActionInvitationCreate, ActionInvitationList}
}

// Resource describes the record a request touches, as policy sees it. It holds
// only analytical dimensions and consent, never content.
type Resource struct {
	ID          string      `json:"id,omitempty"`
	Agency      string      `json:"agency"`
	Service     string      `json:"service,omitempty"`
	Sensitivity Sensitivity `json:"sensitivity,omitempty"`
	Consent     *Consent    `json:"consent,omitempty"`
}

// DecisionInput is one question to the policy.
type DecisionInput struct {
	Principal Principal `json:"principal"`
	Action    Action    `json:"action"`
	Purpose   Purpose   `json:"purpose,omitempty"`
	Resource  *Resource `json:"resource,omitempty"`
	Now       time.Time `json:"now"`
}

// Authorizer decides whether a request may proceed. Implementations fail
// closed: an evaluation error returns a denying Decision and a non-nil error.
type Authorizer interface {
	Decide(ctx context.Context, in DecisionInput) (Decision, error)
}

package candour

import (
	"context"
	"encoding/hex"
	"errors"
	"regexp"
	"time"
)

// Caller is who is asking and why: the verified principal, the declared
// purpose (empty where none applies) and the request id that ties log lines
// and audit entries together.
type Caller struct {
	Principal Principal
	Purpose   Purpose
	RequestID string
}

// FeedbackStore keeps sealed records. Implementations never see plaintext.
type FeedbackStore interface {
	// CreateFeedback stores rec and appends e to the audit log in one
	// transaction: both are stored, or neither is. With an idempotency key
	// (idem.Key != ""), a retry of the same request by the same principal
	// returns the first receipt with Replayed set and stores nothing; the same
	// key with another request hash is ECONFLICT.
	CreateFeedback(ctx context.Context, rec Record, e AuditEntry, idem Idempotency) (Receipt, error)
	// Record returns the record with the given id, or an *Error with code
	// ENOTFOUND (also when row-level security hides it from ctx).
	Record(ctx context.Context, id string) (Record, error)
	// RecordAgency returns the agency that owns the record with the given
	// id whatever agencies ctx may see, or ENOTFOUND: so that a refused read
	// is decided and audited like any other.
	RecordAgency(ctx context.Context, id string) (string, error)
	// WithdrawFeedback records that consent to the record was withdrawn at
	// at, destroys its sealed content and its own data key (RecordKeyID), and
	// appends e, in one transaction. ENOTFOUND when there is no such record;
	// ECONFLICT when consent was already withdrawn.
	WithdrawFeedback(ctx context.Context, id string, at time.Time, e AuditEntry) (seq int64, err error)
	// EraseSubject deletes every record of agency whose subject hash is
	// subjectHash, and the subject's data key (SubjectKeyID), and appends e
	// with the erased ids as its records (AuditEntry.Split: several entries
	// for many records), in one transaction; seq is the last entry's.
	// ECONFLICT, and nothing erased, when any of them is under a legal hold.
	EraseSubject(ctx context.Context, agency string, subjectHash []byte, e AuditEntry) (ids []string, seq int64, err error)
	// CorrectFeedback replaces the correctable values of the record rec.ID
	// (touchpoint, channel, ratings, sensitivity, consent purposes and
	// partners, sealed content, has-comment, bands) with rec's, marks it
	// corrected at rec.CorrectedAt and sealed under its own key, stores
	// rec.NewDataKey in place of any key of its own, and appends e, in one
	// transaction. ENOTFOUND when there is no such record; ECONFLICT when
	// its consent was withdrawn meanwhile.
	CorrectFeedback(ctx context.Context, rec Record, e AuditEntry) (seq int64, err error)
	// RekeySubject seals again, under a new key, the records of a subject in
	// agency that share its data key (those not withdrawn and without a
	// key of their own). In one transaction it locks the subject's key, so
	// that a submission for the subject either commits first (and its
	// record is among those resealed) or is refused after with
	// ErrDataKeyGone; gives reseal those records and the key as stored;
	// and stores what reseal returns: each record's new sealed content, and
	// the new wrapped key in place of the old. Without a stored key it does
	// nothing.
	RekeySubject(ctx context.Context, agency string, subjectHash []byte, reseal Reseal) error
}

// Reseal seals records again under a new key: given the records and their
// key as stored, it returns the new key, wrapped, and each record's new
// sealed content by id.
type Reseal func(recs []Record, wrapped []byte) (newWrapped []byte, sealed map[string][]byte, err error)

// ErrDataKeyTaken refuses a record whose NewDataKey's id already holds a key
// (another submission for the same subject stored one first): the caller
// seals the record again under the stored key.
var ErrDataKeyTaken = errors.New("a data key is already stored under that id")

// ErrDataKeyGone refuses a record sealed under a subject's data key that is
// no longer stored (an erasure, or a sweep that destroyed the subject's last
// record, took it meanwhile): the caller seals the record again under a new
// key.
var ErrDataKeyGone = errors.New("the subject's data key is gone")

// ErrInvitationUsed refuses a record given through an invitation that is
// used, expired or gone: nothing is stored.
var ErrInvitationUsed = errors.New("the invitation is used, expired or gone")

// DataKeyStore keeps data keys, only ever wrapped by the key provider.
type DataKeyStore interface {
	// DataKey returns the wrapped key stored under id, or ENOTFOUND.
	DataKey(ctx context.Context, id string) ([]byte, error)
	// AddDataKey stores wrapped under id unless a key is already there, and
	// returns the key stored under id: the caller's, or the one stored first.
	AddDataKey(ctx context.Context, id string, wrapped []byte) ([]byte, error)
}

// WrappedKey is a stored data key, as key rotation pages through them.
type WrappedKey struct {
	ID      string
	Wrapped []byte
}

// SubjectKeyPrefix begins every SubjectKeyID, and no RecordKeyID.
const SubjectKeyPrefix = "s:"

// SubjectKeyID names the data key of one subject's records in one agency.
func SubjectKeyID(agency string, subjectHash []byte) string {
	return SubjectKeyPrefix + agency + ":" + hex.EncodeToString(subjectHash)
}

// RecordKeyID names the data key of a record given without a subject
// reference, or of a corrected record (Record.OwnKey).
func RecordKeyID(id string) string { return "r:" + id }

// ErasedKeyIDs names the data keys an erasure of a subject's records ids in
// agency destroys: the subject's, and each record's own (a corrected
// record's).
func ErasedKeyIDs(agency string, subjectHash []byte, ids []string) []string {
	out := []string{SubjectKeyID(agency, subjectHash)}
	for _, id := range ids {
		out = append(out, RecordKeyID(id))
	}
	return out
}

// Pinger reports whether a dependency is ready to serve.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Receipt acknowledges a stored submission: the record's id and the sequence
// number of the audit entry that records it.
type Receipt struct {
	ID       string `json:"id"`
	AuditSeq int64  `json:"audit_seq"`
	// Replayed is set when the receipt answers a retry of an earlier request.
	Replayed bool `json:"-"`
}

// Idempotency identifies a request that may be retried: the client's key, the
// principal it is scoped to, and a hash of the request body.
type Idempotency struct {
	Key         string
	Issuer      string
	Subject     string
	RequestHash []byte
}

var idempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// ValidIdempotencyKey reports whether k is 1 to 255 printable ASCII characters.
func ValidIdempotencyKey(k string) bool { return idempotencyKey.MatchString(k) }

type agenciesKey struct{}

// WithAgencies returns a context whose storage operations may see only the
// rows of the given agencies. Stores with row-level security (PostgreSQL)
// enforce it as a second line behind the policy; a context without agencies
// sees no rows there.
func WithAgencies(ctx context.Context, agencies ...string) context.Context {
	return context.WithValue(ctx, agenciesKey{}, agencies)
}

// AgenciesFrom returns the agencies set by WithAgencies.
func AgenciesFrom(ctx context.Context) []string {
	a, _ := ctx.Value(agenciesKey{}).([]string)
	return a
}

// Withdrawal acknowledges a recorded withdrawal of consent.
type Withdrawal struct {
	ID          string    `json:"id"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
	AuditSeq    int64     `json:"audit_seq"`
}

// Erasure acknowledges the erasure of a subject: how many records were erased.
type Erasure struct {
	Erased   int   `json:"erased"`
	AuditSeq int64 `json:"audit_seq"`
}

// ReleaseGroup is one agency's service in one released month (a base cell):
// how many records the release took and about how many distinct subjects
// (a record without a subject reference is a subject of its own), and
// whether all of them are still there with consent live. A group that is
// not intact (someone withdrew, was erased, or their consent ran out since)
// has its comments withheld.
type ReleaseGroup struct {
	Agency, Service, Period string
	Members, Subjects       int
	Intact                  bool
}

// CommentTally is what a store tells of one released comment group within a
// scope, without reading a record: how many of its live released records
// with comments each submitter recorded, and how many distinct subjects
// they are about (a record without a subject reference is a subject of its
// own).
type CommentTally struct {
	Agency, Service, Period string
	BySubmitter             map[string]int
	Subjects                int
}

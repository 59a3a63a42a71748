package candour

import (
	"context"
	"time"
)

// RecordFilter selects one page of one agency's records, newest first (ids
// are time-ordered UUIDv7, so newest first is id descending). Empty fields
// do not filter.
type RecordFilter struct {
	Agency      string
	Period      string // YYYY-MM
	Service     string
	SubmittedBy string
	SubjectHash []byte // keyed hash of a subject reference
	Before      string // only ids that sort before this one: the page cursor
	Limit       int
	// Sealed asks for the sealed content too (subject access, which opens
	// what it lists); without it Sealed is nil in every record returned.
	Sealed bool
}

// RecordLister lists records for case management. It returns analytical
// dimensions and consent only, unless the filter asks for the sealed
// content (RecordFilter.Sealed).
type RecordLister interface {
	// ListRecords returns at most f.Limit records of f.Agency matching f,
	// newest first. Under row-level security (PostgreSQL) it sees only the
	// agencies of ctx (WithAgencies).
	ListRecords(ctx context.Context, f RecordFilter) ([]Record, error)
}

// ListQuery is what a caseworker asks of the list of records: filters, and
// the cursor of the page. SubjectRef is the reference as typed; the service
// hashes it and never stores or logs it.
type ListQuery struct {
	Period     string `json:"period,omitempty"`
	Service    string `json:"service,omitempty"`
	Mine       bool   `json:"mine,omitempty"`
	SubjectRef string `json:"subject_ref,omitempty"`
	Cursor     string `json:"cursor,omitempty"`
	Limit      int    `json:"limit,omitempty"`
}

// ListLimit is the default and the largest page of the list of records.
const ListLimit = 50

// ListedRecord is one record in a list: what a caseworker needs to find the
// right one, and nothing sealed.
type ListedRecord struct {
	ID          string      `json:"id"`
	SubmittedAt time.Time   `json:"submitted_at"`
	SubmittedBy string      `json:"submitted_by"`
	Service     string      `json:"service"`
	Touchpoint  string      `json:"touchpoint,omitempty"`
	Channel     string      `json:"channel,omitempty"`
	Period      string      `json:"period"`
	Sensitivity Sensitivity `json:"sensitivity"`
	HasComment  bool        `json:"has_comment"`
	Withdrawn   bool        `json:"withdrawn"`
}

// RecordList is one page of a list of records; Next is the cursor of the
// next page, empty on the last.
type RecordList struct {
	Records  []ListedRecord `json:"records"`
	Next     string         `json:"next,omitempty"`
	AuditSeq int64          `json:"audit_seq"`
}

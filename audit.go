package candour

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// AuditVersion is the version of the audit leaf encoding written by this code.
const AuditVersion = 1

// Outcomes recorded in the audit log.
const (
	OutcomeOK          = "ok"          // the request was carried out
	OutcomeDenied      = "denied"      // policy said no
	OutcomeNotFound    = "not_found"   // no such record
	OutcomeUnavailable = "unavailable" // a dependency failed; nothing was returned
)

// AuditEntry is one line of the audit log: who did what, why, on which records,
// under which decision, with what outcome. It holds no personal data: records
// are named by id, queries by digest, and subject references never appear.
type AuditEntry struct {
	Version   int           `json:"v"`
	Time      time.Time     `json:"time"`
	RequestID string        `json:"request_id,omitempty"`
	Actor     Principal     `json:"actor"`
	Action    Action        `json:"action"`
	Purpose   Purpose       `json:"purpose,omitempty"`
	Records   []string      `json:"records,omitempty"`
	Query     string        `json:"query,omitempty"` // hex SHA-256 of the canonical query, for list and aggregate reads
	Decision  AuditDecision `json:"decision"`
	Outcome   string        `json:"outcome"`
	Flag      string        `json:"flag,omitempty"` // set by a policy obligation, e.g. admin_content_access
}

// AuditDecision is the part of a policy decision the log keeps.
type AuditDecision struct {
	ID       string `json:"id,omitempty"`
	Revision string `json:"revision,omitempty"`
	Allow    bool   `json:"allow"`
}

// Bounds on one audit entry: no request can write an entry that crowds the
// log (or fails its batch neighbours' group commit).
const (
	MaxAuditRecords   = 100      // record ids one entry names
	MaxAuditLeafBytes = 16 << 10 // the encoded entry
)

// MarshalLeaf returns the exact bytes that are stored and hashed as the
// entry's Merkle leaf: the compact JSON encoding of the entry with its version
// set, fields in declaration order and the time in UTC. The same entry always
// yields the same bytes. An entry naming more than MaxAuditRecords records,
// or longer than MaxAuditLeafBytes, is refused.
func (e AuditEntry) MarshalLeaf() ([]byte, error) {
	if len(e.Records) > MaxAuditRecords {
		return nil, fmt.Errorf("audit entry names %d records, more than %d", len(e.Records), MaxAuditRecords)
	}
	e.Version = AuditVersion
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err == nil && len(b) > MaxAuditLeafBytes {
		return nil, fmt.Errorf("audit entry of %d bytes, more than %d", len(b), MaxAuditLeafBytes)
	}
	return b, err
}

// Split returns e as entries naming at most MaxAuditRecords records each,
// alike in everything else: how an action on many records (an erasure) is
// logged.
func (e AuditEntry) Split() []AuditEntry {
	if len(e.Records) <= MaxAuditRecords {
		return []AuditEntry{e}
	}
	var out []AuditEntry
	for ids := range slices.Chunk(e.Records, MaxAuditRecords) {
		part := e
		part.Records = ids
		out = append(out, part)
	}
	return out
}

// ParseAuditLeaf decodes leaf bytes written by MarshalLeaf. It rejects unknown
// versions and any bytes that MarshalLeaf would not have produced.
func ParseAuditLeaf(leaf []byte) (AuditEntry, error) {
	var e AuditEntry
	if err := json.Unmarshal(leaf, &e); err != nil {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: %w", err)
	}
	if e.Version != AuditVersion {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: unknown version %d", e.Version)
	}
	again, err := e.MarshalLeaf()
	if err != nil || string(again) != string(leaf) {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: not in canonical form")
	}
	return e, nil
}

// AuditLeaf is a stored log entry: its 0-based position and its leaf bytes.
type AuditLeaf struct {
	Seq  int64
	Leaf []byte
}

// AuditFilter selects audit entries, oldest first. Zero fields match all.
type AuditFilter struct {
	After  int64 // only entries with Seq > After; -1 for all
	Limit  int
	Actor  string // principal subject
	Action Action
	Record string
	Since  time.Time // only entries at or after this time, when set
	Until  time.Time // only entries before this time, when set
}

// AuditLog appends entries. Append is atomic: either the entry is durably
// stored at the returned sequence number or an error is returned.
type AuditLog interface {
	AppendAudit(ctx context.Context, e AuditEntry) (seq int64, err error)
}

// AuditReader lists stored entries.
type AuditReader interface {
	AuditEntries(ctx context.Context, f AuditFilter) ([]AuditLeaf, error)
}

package candour

import (
	"context"
	"encoding/json"
	"fmt"
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

// MarshalLeaf returns the exact bytes that are stored and hashed as the
// entry's Merkle leaf: the compact JSON encoding of the entry with its version
// set, fields in declaration order and the time in UTC. The same entry always
// yields the same bytes.
func (e AuditEntry) MarshalLeaf() ([]byte, error) {
	e.Version = AuditVersion
	e.Time = e.Time.UTC()
	return json.Marshal(e)
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

// Package audit holds the logic of Candour's audit log. Storage sits behind
// the root package's AuditLog and AuditReader interfaces; this package decides
// who may read the log and records every such read in the log itself.
//
// Each entry is stored as the exact leaf bytes of candour.AuditEntry.MarshalLeaf
// at a 0-based, gap-free sequence number, which is the entry's leaf index in an
// RFC 6962 Merkle tree.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/candour-vault/candour"
)

// Limits on one page of entries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Service answers auditors' reads of the log. It is safe for concurrent use.
type Service struct {
	log    candour.AuditLog
	reader candour.AuditReader
	policy candour.Authorizer
	now    func() time.Time
}

// NewService returns a Service; now defaults to the wall clock.
func NewService(log candour.AuditLog, reader candour.AuditReader, policy candour.Authorizer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{log: log, reader: reader, policy: policy, now: now}
}

// Entries returns the entries f selects, oldest first, if policy allows the
// caller to read the audit log. The read itself is appended to the log before
// anything is returned; if that append fails, nothing is returned.
func (s *Service) Entries(ctx context.Context, c candour.Caller, f candour.AuditFilter) ([]candour.AuditLeaf, error) {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, candour.Errorf(candour.EINVALID, "limit must be from 1 to %d.", MaxLimit)
	}
	if f.After < -1 {
		return nil, candour.Errorf(candour.EINVALID, "after must be a sequence number, or -1 for the start of the log.")
	}
	if c.Purpose == "" {
		c.Purpose = candour.PurposeAudit
	}
	now := s.now().UTC()
	entry := candour.AuditEntry{Time: now, RequestID: c.RequestID, Actor: c.Principal,
		Action: candour.ActionAuditRead, Purpose: c.Purpose, Query: QueryDigest(f)}
	d, err := s.policy.Decide(ctx, candour.DecisionInput{Principal: c.Principal, Action: candour.ActionAuditRead, Purpose: c.Purpose, Now: now})
	entry.Decision = candour.AuditDecision{ID: d.ID, Revision: d.Revision, Allow: d.Allow}
	switch {
	case err != nil:
		entry.Outcome = candour.OutcomeUnavailable
		s.log.AppendAudit(ctx, entry) // best effort: the request fails either way
		return nil, candour.Wrap(candour.EUNAVAILABLE, err, "The policy engine could not decide; nothing was done. Try again shortly.")
	case !d.Allow:
		entry.Outcome = candour.OutcomeDenied
	default:
		entry.Outcome = candour.OutcomeOK
	}
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return nil, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	if !d.Allow {
		return nil, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to read the audit log.")
	}
	leaves, err := s.reader.AuditEntries(ctx, f)
	if err != nil {
		return nil, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
	}
	return leaves, nil
}

// QueryDigest returns the hex SHA-256 of a canonical text of f, so the log
// can show which query was asked without holding its values.
func QueryDigest(f candour.AuditFilter) string {
	h := sha256.New()
	fmt.Fprintf(h, "audit.entries\x00after=%d\x00limit=%d\x00actor=%s\x00action=%s\x00record=%s",
		f.After, f.Limit, f.Actor, f.Action, f.Record)
	return hex.EncodeToString(h.Sum(nil))
}

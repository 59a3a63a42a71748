// Package audit holds the logic of Candour's tamper-evident audit log: the
// RFC 6962 Merkle tree over the entries, signed checkpoints, proofs, the
// in-memory replay that verification runs, and the service that answers
// auditors. Storage sits behind small interfaces.
//
// Each entry is stored as the exact leaf bytes of candour.AuditEntry.MarshalLeaf
// at a 0-based, gap-free sequence number, which is its leaf index in the tree.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/candour-vault/candour"
)

// Limits on one page of entries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Service answers auditors: entries, checkpoints and proofs. Every request,
// allowed or not, is appended to the log itself before anything is returned;
// if that append fails, nothing is returned.
type Service struct {
	log    candour.AuditLog
	reader candour.AuditReader
	tree   *Log
	policy candour.Authorizer
	now    func() time.Time
}

// NewService returns a Service; now defaults to the wall clock.
func NewService(log candour.AuditLog, reader candour.AuditReader, tree *Log, policy candour.Authorizer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{log: log, reader: reader, tree: tree, policy: policy, now: now}
}

// authorize asks the policy whether c may do action, and appends the request
// to the log with a digest of query; it returns EFORBIDDEN on a denial and
// EUNAVAILABLE when the policy or the log fails.
func (s *Service) authorize(ctx context.Context, c candour.Caller, action candour.Action, query string) error {
	_, err := s.decide(ctx, c, action, query)
	return err
}

// decide is authorize, returning the decision too.
func (s *Service) decide(ctx context.Context, c candour.Caller, action candour.Action, query string) (candour.Decision, error) {
	if c.Purpose == "" {
		c.Purpose = candour.PurposeAudit
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256([]byte(query))
	entry := candour.AuditEntry{Time: now, RequestID: c.RequestID, Actor: c.Principal,
		Action: action, Purpose: c.Purpose, Query: hex.EncodeToString(sum[:])}
	d, err := s.policy.Decide(ctx, candour.DecisionInput{Principal: c.Principal, Action: action, Purpose: c.Purpose, Now: now})
	entry.Decision = candour.AuditDecision{ID: d.ID, Revision: d.Revision, Allow: d.Allow}
	switch {
	case err != nil:
		entry.Outcome = candour.OutcomeUnavailable
		s.log.AppendAudit(ctx, entry) // best effort: the request fails either way
		return d, candour.Wrap(candour.EUNAVAILABLE, err, "The policy engine could not decide; nothing was done. Try again shortly.")
	case !d.Allow:
		entry.Outcome = candour.OutcomeDenied
	default:
		entry.Outcome = candour.OutcomeOK
	}
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return d, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	if !d.Allow {
		return d, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to do this with the audit log.")
	}
	return d, nil
}

// Entries returns the entries f selects, oldest first.
func (s *Service) Entries(ctx context.Context, c candour.Caller, f candour.AuditFilter) ([]candour.AuditLeaf, error) {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, candour.Errorf(candour.EINVALID, "limit must be from 1 to %d.", MaxLimit)
	}
	if f.After < -1 || f.Before < 0 {
		return nil, candour.Errorf(candour.EINVALID, "after must be a sequence number, or -1 for the start of the log.")
	}
	query := fmt.Sprintf("audit.entries\x00after=%d\x00limit=%d\x00actor=%s\x00action=%s\x00record=%s\x00since=%s\x00until=%s\x00newest=%t\x00before=%d\x00outcome=%s",
		f.After, f.Limit, f.Actor, f.Action, f.Record, f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339), f.Newest, f.Before, f.Outcome)
	d, err := s.decide(ctx, c, candour.ActionAuditRead, query)
	if err != nil {
		return nil, err
	}
	// The part of the log the policy lets this reader see: "*" for all,
	// else these agencies' staff and records. No scope, no entries.
	switch scope := d.Obligations.AuditAgencies; {
	case slices.Contains(scope, "*"):
		f.Agencies = nil
	case len(scope) > 0:
		f.Agencies = scope
	default:
		return nil, candour.Errorf(candour.EFORBIDDEN, "Policy names no part of the audit log you may read.")
	}
	leaves, err := s.reader.AuditEntries(ctx, f)
	if err != nil {
		return nil, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
	}
	return leaves, nil
}

// Checkpoint returns the latest signed checkpoint.
func (s *Service) Checkpoint(ctx context.Context, c candour.Caller) ([]byte, error) {
	if err := s.authorize(ctx, c, candour.ActionAuditRead, "audit.checkpoint"); err != nil {
		return nil, err
	}
	signed, err := s.tree.Latest(ctx)
	if candour.ErrorCode(err) == candour.ENOTFOUND {
		return nil, candour.Errorf(candour.ENOTFOUND, "No checkpoint has been issued yet; an auditor can issue one with POST.")
	}
	return signed, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
}

// IssueCheckpoint signs a checkpoint covering every entry appended so far,
// this request's own entry included.
func (s *Service) IssueCheckpoint(ctx context.Context, c candour.Caller) ([]byte, error) {
	if err := s.authorize(ctx, c, candour.ActionAuditCheckpoint, "audit.checkpoint.issue"); err != nil {
		return nil, err
	}
	signed, err := s.tree.Checkpoint(ctx)
	if errors.Is(err, ErrInconsistent) {
		return nil, fmt.Errorf("%w: %w", candour.Errorf(candour.EINTERNAL, "The log no longer extends its latest checkpoint, so no new checkpoint is signed. Run candour audit verify."), err)
	}
	return signed, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
}

// InclusionProof proves that entry seq is in the tree of size size.
func (s *Service) InclusionProof(ctx context.Context, c candour.Caller, seq, size int64) ([][32]byte, error) {
	if err := s.authorize(ctx, c, candour.ActionAuditRead, fmt.Sprintf("audit.proof.inclusion\x00%d\x00%d", seq, size)); err != nil {
		return nil, err
	}
	p, err := s.tree.InclusionProof(ctx, seq, size)
	return p, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size new.
func (s *Service) ConsistencyProof(ctx context.Context, c candour.Caller, old, new int64) ([][32]byte, error) {
	if err := s.authorize(ctx, c, candour.ActionAuditRead, fmt.Sprintf("audit.proof.consistency\x00%d\x00%d", old, new)); err != nil {
		return nil, err
	}
	p, err := s.tree.ConsistencyProof(ctx, old, new)
	return p, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable. Try again shortly.")
}

// VerifierKey returns the note verifier key of the log's signing key. It is
// public: anyone may check checkpoints.
func (s *Service) VerifierKey() string { return s.tree.VerifierKey() }

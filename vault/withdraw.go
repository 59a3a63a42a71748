package vault

import (
	"context"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// Withdraw records that the person withdrew consent to the record: from then
// on no read or insight includes it, and its content is destroyed. Caseworkers
// of the owning agency may record a withdrawal.
func (s *Service) Withdraw(ctx context.Context, c candour.Caller, id string) (candour.Withdrawal, error) {
	now := s.clock()
	ctx = candour.WithAgencies(ctx, c.Principal.Agency)
	notFound := candour.Errorf(candour.ENOTFOUND, "No such record.")
	if uuid.Validate(id) != nil {
		return candour.Withdrawal{}, notFound
	}
	_, d, err := s.lookup(ctx, c, candour.ActionFeedbackWithdraw, id, now)
	if err != nil {
		return candour.Withdrawal{}, err
	}
	s.cache.drop(candour.RecordKeyID(id))
	seq, err := s.store.WithdrawFeedback(ctx, id, now, s.entry(c, candour.ActionFeedbackWithdraw, []string{id}, d, candour.OutcomeOK, now))
	if err != nil {
		return candour.Withdrawal{}, unavailable(err, "The record store is unavailable; nothing was changed. Try again shortly.")
	}
	return candour.Withdrawal{ID: id, WithdrawnAt: now, AuditSeq: seq}, nil
}

// Erase crypto-shreds every record of the caller's agency about the subject
// the reference names: the records and the subject's data key are deleted,
// so a copy of the records (a backup) can no longer be opened. The audit
// entry names the erased records by id and holds nothing about the subject.
func (s *Service) Erase(ctx context.Context, c candour.Caller, subjectRef string) (candour.Erasure, error) {
	now := s.clock()
	p := c.Principal
	ctx = candour.WithAgencies(ctx, p.Agency)
	if subjectRef == "" || len(subjectRef) > candour.MaxSubjectRefBytes {
		return candour.Erasure{}, candour.Errorf(candour.EINVALID, "The subject reference must be 1 to %d bytes.", candour.MaxSubjectRefBytes)
	}
	d, err := s.lifecycleDecision(ctx, c, candour.ActionSubjectErase, now)
	if err != nil {
		return candour.Erasure{}, err
	}
	hash, err := s.keys.SubjectHash(ctx, subjectRef)
	if err != nil {
		return candour.Erasure{}, unavailable(err, "The key provider is unavailable; nothing was erased. Try again shortly.")
	}
	s.cache.drop(candour.SubjectKeyID(p.Agency, hash))
	ids, seq, err := s.store.EraseSubject(ctx, p.Agency, hash, s.entry(c, candour.ActionSubjectErase, nil, d, candour.OutcomeOK, now))
	if err != nil {
		return candour.Erasure{}, unavailable(err, "The record store is unavailable; nothing was erased. Try again shortly.")
	}
	return candour.Erasure{Erased: len(ids), AuditSeq: seq}, nil
}

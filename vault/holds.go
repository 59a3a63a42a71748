package vault

import (
	"bytes"
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// held reports whether a hold in force covers rec.
func held(holds []candour.LegalHold, rec candour.Record) bool {
	for _, h := range holds {
		if h.ReleasedAt == nil && (h.RecordID == rec.ID || (h.SubjectHash != nil && bytes.Equal(h.SubjectHash, rec.SubjectHash))) {
			return true
		}
	}
	return false
}

// PlaceHold places a legal hold for the caller's agency (a data protection
// officer), audited with the hold's id and, for a record, the record's id.
func (s *Service) PlaceHold(ctx context.Context, c candour.Caller, r candour.HoldRequest) (candour.LegalHold, error) {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	bad := func(format string, args ...any) (candour.LegalHold, error) {
		return candour.LegalHold{}, candour.Errorf(candour.EINVALID, format, args...)
	}
	switch {
	case (r.RecordID == "") == (r.SubjectRef == ""):
		return bad("Give either a record id or a subject reference to hold, not both.")
	case strings.TrimSpace(r.Reason) == "":
		return bad("Give the reason for the hold, for example the case or claim it is kept for.")
	case len(r.Reason) > candour.MaxHoldReason:
		return bad("The reason must be at most %d characters.", candour.MaxHoldReason)
	case !r.ReviewBy.After(now):
		return bad("The review date must be in the future.")
	case r.ReviewBy.After(now.AddDate(10, 0, 0)):
		return bad("The review date must be within ten years; review the hold then and extend it if it is still needed.")
	case r.RecordID != "" && uuid.Validate(r.RecordID) != nil:
		return candour.LegalHold{}, candour.Errorf(candour.ENOTFOUND, "No such record.")
	}
	d, err := s.lifecycleDecision(ctx, c, candour.ActionHoldPlace, now)
	if err != nil {
		return candour.LegalHold{}, err
	}
	id, err := s.newID()
	if err != nil {
		return candour.LegalHold{}, err
	}
	h := candour.LegalHold{ID: id, Agency: agency, RecordID: r.RecordID, Reason: strings.TrimSpace(r.Reason),
		ReviewBy: r.ReviewBy.UTC(), CreatedAt: now, CreatedBy: c.Principal.Subject}
	var records []string
	if r.RecordID != "" {
		if a, err := s.store.RecordAgency(ctx, r.RecordID); err != nil || a != agency {
			return candour.LegalHold{}, candour.Errorf(candour.ENOTFOUND, "No such record.")
		}
		records = []string{r.RecordID}
	} else {
		recs, hash, err := s.subjectRecords(ctx, agency, r.SubjectRef)
		if err != nil {
			return candour.LegalHold{}, err
		}
		h.SubjectHash = hash
		for _, rec := range recs {
			records = append(records, rec.ID)
		}
	}
	e := s.entry(c, candour.ActionHoldPlace, records, d, candour.OutcomeOK, now)
	e.QueryParams = "hold=" + id
	if len(e.Records) > candour.MaxAuditRecords {
		e.Records = e.Records[:candour.MaxAuditRecords] // the hold covers the subject; the first records stand for it
	}
	if _, err := s.store.AddHold(ctx, h, e); err != nil {
		return candour.LegalHold{}, unavailable(err, "The record store is unavailable; no hold was placed. Try again shortly.")
	}
	return h, nil
}

// ReleaseHold ends a hold of the caller's agency, audited.
func (s *Service) ReleaseHold(ctx context.Context, c candour.Caller, id string) error {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	if uuid.Validate(id) != nil {
		return candour.Errorf(candour.ENOTFOUND, "No such hold in force.")
	}
	d, err := s.lifecycleDecision(ctx, c, candour.ActionHoldRelease, now)
	if err != nil {
		return err
	}
	e := s.entry(c, candour.ActionHoldRelease, nil, d, candour.OutcomeOK, now)
	e.QueryParams = "hold=" + id
	if _, err := s.store.ReleaseHold(ctx, agency, id, now, c.Principal.Subject, e); err != nil {
		return unavailable(err, "The record store is unavailable; the hold is still in force. Try again shortly.")
	}
	return nil
}

// Holds lists the caller's agency's legal holds (a data protection
// officer), those in force first. Listing them reads no record.
func (s *Service) Holds(ctx context.Context, c candour.Caller) ([]candour.LegalHold, error) {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	if _, err := s.lifecycleDecision(ctx, c, candour.ActionRetentionRead, now); err != nil {
		return nil, err
	}
	holds, err := s.store.Holds(ctx, agency)
	if err != nil {
		return nil, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	return holds, nil
}

// RetentionOverview answers the data protection officer's retention page
// for their own agency. The read is audited; it opens no record.
func (s *Service) RetentionOverview(ctx context.Context, c candour.Caller) (candour.RetentionOverview, error) {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	if s.ret == nil {
		return candour.RetentionOverview{}, candour.Errorf(candour.EUNAVAILABLE, "Retention is not set up on this server.")
	}
	d, err := s.lifecycleDecision(ctx, c, candour.ActionRetentionRead, now)
	if err != nil {
		return candour.RetentionOverview{}, err
	}
	o, err := s.ret.Overview(ctx, agency, now)
	if err != nil {
		return candour.RetentionOverview{}, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	if _, err := s.audit(ctx, c, candour.ActionRetentionRead, nil, d, candour.OutcomeOK, now); err != nil {
		return candour.RetentionOverview{}, err
	}
	return o, nil
}

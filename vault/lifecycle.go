package vault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// Correct changes a record as a caseworker of its agency asks (PATCH
// /v1/feedback/{id}): the record is opened, changed, validated as a new
// submission would be, sealed again under a fresh data key of its own and
// stored with an audit entry that names the fields changed, never their
// values. The key the earlier content was sealed under is destroyed: the
// record's own, replaced; or its subject's, after the subject's other
// records are sealed again under a new one. Consent can only be narrowed.
func (s *Service) Correct(ctx context.Context, c candour.Caller, id string, ch candour.Correction) (candour.Corrected, error) {
	now := s.clock()
	ctx = candour.WithAgencies(ctx, c.Principal.Agency)
	if c.Purpose == "" {
		return candour.Corrected{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required to correct feedback.")
	}
	if len(ch.Fields()) == 0 {
		return candour.Corrected{}, candour.Errorf(candour.EINVALID, "Name at least one field to correct: touchpoint, channel, ratings, comment, sensitivity, purposes or share_with.")
	}
	if uuid.Validate(id) != nil {
		return candour.Corrected{}, candour.Errorf(candour.ENOTFOUND, "No such record.")
	}
	rec, d, err := s.lookup(ctx, c, candour.ActionFeedbackCorrect, id, now)
	if err != nil {
		return candour.Corrected{}, err
	}
	cont, err := s.open(ctx, rec)
	if err != nil {
		if _, aerr := s.audit(ctx, c, candour.ActionFeedbackCorrect, []string{id}, d, candour.OutcomeUnavailable, now); aerr != nil {
			return candour.Corrected{}, aerr
		}
		return candour.Corrected{}, unavailable(err, keyOrStore(err, "The key provider is unavailable; nothing was changed. Try again shortly.", "The record store is unavailable; nothing was changed. Try again shortly."))
	}
	f := candour.Feedback{ID: rec.ID, Agency: rec.Agency, Service: rec.Service, Touchpoint: rec.Touchpoint,
		Channel: rec.Channel, Period: rec.Period, Ratings: rec.Ratings, Sensitivity: rec.Sensitivity,
		Consent: rec.Consent, Comment: cont.Comment, SubjectRef: cont.SubjectRef, Equality: cont.Equality}
	before := f
	if err := apply(&f, ch); err != nil {
		return candour.Corrected{}, err
	}
	// Only what really changes is corrected and named: a field sent with
	// the value it already holds is not a change.
	fields := candour.Changed(before, f)
	if len(fields) == 0 {
		return candour.Corrected{}, candour.Errorf(candour.EINVALID, "Nothing would change: the record already holds these answers.")
	}
	// Validated as at capture: the month and the consent were valid then,
	// and a correction does not move them.
	if err := f.Validate(rec.Consent.CapturedAt); err != nil {
		return candour.Corrected{}, err
	}
	rec.Touchpoint, rec.Channel, rec.Ratings, rec.Sensitivity, rec.Consent = f.Touchpoint, f.Channel, f.Ratings, f.Sensitivity, f.Consent
	rec.HasComment = strings.TrimSpace(f.Comment) != ""
	rec.Bands = candour.Equality{}
	if f.Equality != nil {
		rec.Bands = f.Equality.Coarse()
	}
	if rec.SubjectHash != nil && !rec.OwnKey {
		// The earlier content was sealed under the subject's key, which the
		// subject's other records share: they move to a new subject key,
		// and the old one, which a copy of the earlier content needs, goes.
		if err := s.rekeySubject(ctx, rec.Agency, rec.SubjectHash); err != nil {
			if _, aerr := s.audit(ctx, c, candour.ActionFeedbackCorrect, []string{id}, d, candour.OutcomeUnavailable, now); aerr != nil {
				return candour.Corrected{}, aerr
			}
			return candour.Corrected{}, unavailable(err, keyOrStore(err, "The key provider is unavailable; nothing was changed. Try again shortly.", "The record store is unavailable; nothing was changed. Try again shortly."))
		}
	}
	plain, wrapped, err := s.freshKey(ctx)
	if err != nil {
		return candour.Corrected{}, unavailable(err, "The key provider is unavailable; nothing was changed. Try again shortly.")
	}
	defer clear(plain)
	rec.Sealed, err = seal(plain, content{ID: rec.ID, Agency: rec.Agency, Comment: f.Comment,
		SubjectRef: f.SubjectRef, Equality: f.Equality}, rec.Consent)
	if err != nil {
		return candour.Corrected{}, unavailable(err, "The record could not be sealed; nothing was changed. Try again shortly.")
	}
	rec.OwnKey, rec.CorrectedAt = true, &now
	rec.NewDataKey = &candour.WrappedKey{ID: candour.RecordKeyID(id), Wrapped: wrapped}
	e := s.entry(c, candour.ActionFeedbackCorrect, []string{id}, d, candour.OutcomeOK, now)
	e.QueryParams = "fields=" + strings.Join(fields, ",")
	s.cache.drop(candour.RecordKeyID(id))
	seq, err := s.store.CorrectFeedback(ctx, rec, e)
	if err != nil {
		return candour.Corrected{}, unavailable(err, "The record store is unavailable; nothing was changed. Try again shortly.")
	}
	return candour.Corrected{ID: id, CorrectedAt: now, Fields: fields, AuditSeq: seq}, nil
}

// rekeySubject seals the subject's records that share its key again under a
// fresh key, and forgets the old one (the store replaces it).
func (s *Service) rekeySubject(ctx context.Context, agency string, hash []byte) error {
	plain, wrapped, err := s.freshKey(ctx)
	if err != nil {
		return err
	}
	defer clear(plain)
	id := candour.SubjectKeyID(agency, hash)
	s.cache.drop(id)
	err = s.store.RekeySubject(ctx, agency, hash, func(recs []candour.Record, stored []byte) ([]byte, map[string][]byte, error) {
		old, err := s.keys.UnwrapKeys(ctx, [][]byte{stored})
		if err != nil {
			return nil, nil, fmt.Errorf("unwrap the subject's key: %w", err)
		}
		defer clear(old[0])
		sealed := make(map[string][]byte, len(recs))
		for _, r := range recs {
			c, err := open(old[0], r.Sealed, r.ID, r.Agency, r.Consent)
			if err != nil {
				return nil, nil, err
			}
			if sealed[r.ID], err = seal(plain, c, r.Consent); err != nil {
				return nil, nil, err
			}
		}
		return wrapped, sealed, nil
	})
	s.cache.drop(id)
	if err != nil {
		return storeError{err}
	}
	return nil
}

// apply changes f as ch says, refusing to widen consent.
func apply(f *candour.Feedback, ch candour.Correction) error {
	if ch.Touchpoint != nil {
		f.Touchpoint = *ch.Touchpoint
	}
	if ch.Channel != nil {
		f.Channel = *ch.Channel
	}
	if ch.Ratings != nil {
		f.Ratings = *ch.Ratings
	}
	if ch.Comment != nil {
		f.Comment = *ch.Comment
	}
	if ch.Sensitivity != nil {
		f.Sensitivity = *ch.Sensitivity
	}
	widen := candour.Errorf(candour.EINVALID, "Consent can only be narrowed by a correction (a purpose or a partner taken away). "+
		"To add one, the person must give their consent again: record their feedback anew with the new consent.")
	if ch.Purposes != nil {
		for _, p := range ch.Purposes {
			if !f.Consent.Covers(p) {
				return widen
			}
		}
		if len(ch.Purposes) == 0 {
			return candour.Errorf(candour.EINVALID, "purposes must keep at least one purpose; to take every one away, record a withdrawal of consent.")
		}
		f.Consent.Purposes = slices.Compact(slices.Clone(ch.Purposes))
	}
	if ch.ShareWith != nil {
		for _, a := range *ch.ShareWith {
			if !slices.Contains(f.Consent.ShareWith, a) {
				return widen
			}
		}
		f.Consent.ShareWith = slices.Clone(*ch.ShareWith)
		if len(f.Consent.ShareWith) == 0 {
			f.Consent.ShareWith = nil
		}
	}
	if !f.Consent.Covers(candour.PurposeEqualityMonitoring) {
		f.Equality = nil // the answers go with the consent they were given under
	}
	if !f.Consent.Covers(candour.PurposeInterAgency) {
		f.Consent.ShareWith = nil // partners see insight only under that purpose
	}
	return nil
}

// lifecycleDecision asks the policy whether the caller, a data protection
// officer, may do a on their own agency, and audits a refusal.
func (s *Service) lifecycleDecision(ctx context.Context, c candour.Caller, a candour.Action, now time.Time) (candour.Decision, error) {
	d, err := s.decide(ctx, c, a, &candour.Resource{Agency: c.Principal.Agency}, now)
	if err != nil {
		return candour.Decision{}, err
	}
	if !d.Allow {
		if _, err := s.audit(ctx, c, a, nil, d, candour.OutcomeDenied, now); err != nil {
			return candour.Decision{}, err
		}
		return candour.Decision{}, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to do this: %s.", strings.Join(d.Reasons, "; "))
	}
	return d, nil
}

// subjectRecords returns every record of the caller's agency about the
// subject the reference names (sealed content included), with its hash.
func (s *Service) subjectRecords(ctx context.Context, agency, ref string) ([]candour.Record, []byte, error) {
	if ref == "" || len(ref) > candour.MaxSubjectRefBytes {
		return nil, nil, candour.Errorf(candour.EINVALID, "The subject reference must be 1 to %d bytes.", candour.MaxSubjectRefBytes)
	}
	hash, err := s.keys.SubjectHash(ctx, ref)
	if err != nil {
		return nil, nil, unavailable(err, "The key provider is unavailable. Try again shortly.")
	}
	var out []candour.Record
	for before := ""; ; {
		page, err := s.store.ListRecords(ctx, candour.RecordFilter{Agency: agency, SubjectHash: hash, Before: before,
			Limit: 500, Sealed: true})
		if err != nil {
			return nil, nil, unavailable(err, "The record store is unavailable. Try again shortly.")
		}
		out = append(out, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	slices.Reverse(out) // oldest first
	return out, hash, nil
}

// SubjectAccess answers a subject access request for the caller's agency
// (a data protection officer): every record about the subject, opened, and
// each one's access history from the audit log. The request is audited,
// naming the records, before anything is returned; the subject reference
// is neither stored nor logged. It fails, returning nothing, when any
// record cannot be opened: a partial answer would mislead the person.
func (s *Service) SubjectAccess(ctx context.Context, c candour.Caller, ref string) (candour.SubjectAccess, error) {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	d, err := s.lifecycleDecision(ctx, c, candour.ActionSubjectAccess, now)
	if err != nil {
		return candour.SubjectAccess{}, err
	}
	recs, _, err := s.subjectRecords(ctx, agency, ref)
	if err != nil {
		return candour.SubjectAccess{}, err
	}
	holds, err := s.store.Holds(ctx, agency)
	if err != nil {
		return candour.SubjectAccess{}, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	out := candour.SubjectAccess{Agency: agency, GeneratedAt: now, Records: make([]candour.SubjectRecord, len(recs))}
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
		// Staff are not named (submitted_by, captured_by): the person learns
		// the agency and role, as in the access history.
		f := candour.Feedback{ID: rec.ID, Agency: rec.Agency, SubmittedAt: rec.SubmittedAt,
			Service: rec.Service, Touchpoint: rec.Touchpoint, Channel: rec.Channel, Period: rec.Period,
			Ratings: rec.Ratings, Sensitivity: rec.Sensitivity, Consent: rec.Consent}
		f.Consent.CapturedBy = ""
		if rec.Consent.WithdrawnAt == nil {
			cont, err := s.open(ctx, rec)
			if err != nil {
				if _, aerr := s.audit(ctx, c, candour.ActionSubjectAccess, nil, d, candour.OutcomeUnavailable, now); aerr != nil {
					return candour.SubjectAccess{}, aerr
				}
				return candour.SubjectAccess{}, unavailable(err, "A record could not be opened, so no answer was made. Try again shortly.")
			}
			f.Comment, f.SubjectRef, f.Equality = cont.Comment, cont.SubjectRef, cont.Equality
		}
		out.Records[i] = candour.SubjectRecord{Feedback: f, CorrectedAt: rec.CorrectedAt, Held: held(holds, rec)}
		if out.Records[i].Accesses, err = s.history(ctx, rec.ID); err != nil {
			return candour.SubjectAccess{}, err
		}
	}
	e := s.entry(c, candour.ActionSubjectAccess, ids, d, candour.OutcomeOK, now)
	for _, part := range e.Split() {
		if out.AuditSeq, err = s.log.AppendAudit(ctx, part); err != nil {
			return candour.SubjectAccess{}, unavailable(err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
		}
	}
	return out, nil
}

// history returns a record's access history from the audit log, oldest
// first: every entry that names it, staff unnamed.
func (s *Service) history(ctx context.Context, id string) ([]candour.Access, error) {
	out := []candour.Access{}
	for after := int64(-1); ; {
		leaves, err := s.store.AuditEntries(ctx, candour.AuditFilter{After: after, Record: id, Limit: 1000})
		if err != nil {
			return nil, unavailable(err, "The audit log is unavailable. Try again shortly.")
		}
		for _, l := range leaves {
			e, err := candour.ParseAuditLeaf(l.Leaf)
			if err != nil {
				return nil, candour.Wrap(candour.EINTERNAL, err, "An audit entry could not be decoded.")
			}
			out = append(out, candour.Access{Time: e.Time, Action: e.Action, Roles: e.Actor.Roles, Agency: e.Actor.Agency,
				Purpose: e.Purpose, Outcome: e.Outcome, AuditSeq: l.Seq})
			after = l.Seq
		}
		if len(leaves) < 1000 {
			return out, nil
		}
	}
}

// PreviewErasure says what an erasure of the subject would destroy in the
// caller's agency, and audits that it was asked (naming the records).
func (s *Service) PreviewErasure(ctx context.Context, c candour.Caller, ref string) (candour.ErasurePreview, error) {
	now := s.clock()
	agency := c.Principal.Agency
	ctx = candour.WithAgencies(ctx, agency)
	d, err := s.lifecycleDecision(ctx, c, candour.ActionErasurePreview, now)
	if err != nil {
		return candour.ErasurePreview{}, err
	}
	recs, _, err := s.subjectRecords(ctx, agency, ref)
	if err != nil {
		return candour.ErasurePreview{}, err
	}
	holds, err := s.store.Holds(ctx, agency)
	if err != nil {
		return candour.ErasurePreview{}, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	var p candour.ErasurePreview
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
		p.Records++
		if rec.Consent.WithdrawnAt != nil {
			p.Withdrawn++
		}
		if held(holds, rec) {
			p.Held++
		}
		if rec.Released {
			p.Released++
		}
	}
	e := s.entry(c, candour.ActionErasurePreview, ids, d, candour.OutcomeOK, now)
	for _, part := range e.Split() {
		if _, err := s.log.AppendAudit(ctx, part); err != nil {
			return candour.ErasurePreview{}, unavailable(err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
		}
	}
	return p, nil
}

package vault

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// List returns one page of the caller's own agency's records, newest first,
// for case management: the analytical dimensions only, nothing is opened.
// The policy decides (action feedback.list); the store is asked only for
// the caller's agency, under row-level security where the store has it; the
// page's record ids are audited before they are returned, and a list that
// cannot be audited returns nothing. A subject reference is hashed with the
// key provider's secret and then forgotten: it is never stored or logged.
func (s *Service) List(ctx context.Context, c candour.Caller, q candour.ListQuery) (candour.RecordList, error) {
	now := s.clock()
	p := c.Principal
	ctx = candour.WithAgencies(ctx, p.Agency)
	if c.Purpose == "" {
		return candour.RecordList{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required to list feedback.")
	}
	if err := validateList(&q); err != nil {
		return candour.RecordList{}, err
	}
	d, err := s.decide(ctx, c, candour.ActionFeedbackList, &candour.Resource{Agency: p.Agency}, now)
	if err != nil {
		return candour.RecordList{}, err
	}
	if !d.Allow {
		if _, err := s.audit(ctx, c, candour.ActionFeedbackList, nil, d, candour.OutcomeDenied, now); err != nil {
			return candour.RecordList{}, err
		}
		return candour.RecordList{}, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to list these records: %s.", strings.Join(d.Reasons, "; "))
	}
	f := candour.RecordFilter{Agency: p.Agency, Period: q.Period, Service: q.Service, Before: q.Cursor, Limit: q.Limit + 1}
	if q.Mine {
		f.SubmittedBy = p.Subject
	}
	if q.SubjectRef != "" {
		if f.SubjectHash, err = s.keys.SubjectHash(ctx, q.SubjectRef); err != nil {
			return candour.RecordList{}, unavailable(err, "The key provider is unavailable. Try again shortly.")
		}
	}
	recs, err := s.store.ListRecords(ctx, f)
	if err != nil {
		return candour.RecordList{}, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	var out candour.RecordList
	if len(recs) > q.Limit {
		recs = recs[:q.Limit]
		out.Next = recs[len(recs)-1].ID
	}
	ids := make([]string, len(recs))
	out.Records = make([]candour.ListedRecord, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
		out.Records[i] = candour.ListedRecord{ID: r.ID, SubmittedAt: r.SubmittedAt, SubmittedBy: r.SubmittedBy,
			Service: r.Service, Touchpoint: r.Touchpoint, Channel: r.Channel, Period: r.Period,
			Sensitivity: r.Sensitivity, HasComment: r.HasComment, Withdrawn: r.Consent.WithdrawnAt != nil}
	}
	if out.AuditSeq, err = s.audit(ctx, c, candour.ActionFeedbackList, ids, d, candour.OutcomeOK, now); err != nil {
		return candour.RecordList{}, err
	}
	return out, nil
}

// validateList checks q's filters and sets the default page size.
func validateList(q *candour.ListQuery) error {
	switch {
	case q.Period != "" && !candour.ValidPeriod(q.Period):
		return candour.Errorf(candour.EINVALID, "period must be a month written YYYY-MM.")
	case len(q.Service) > 128:
		return candour.Errorf(candour.EINVALID, "service must be at most 128 characters.")
	case q.Cursor != "" && uuid.Validate(q.Cursor) != nil:
		return candour.Errorf(candour.EINVALID, "cursor must be the next value of an earlier page.")
	case len(q.SubjectRef) > candour.MaxSubjectRefBytes:
		return candour.Errorf(candour.EINVALID, "The subject reference must be at most %d bytes.", candour.MaxSubjectRefBytes)
	case q.Limit < 0 || q.Limit > candour.ListLimit:
		return candour.Errorf(candour.EINVALID, "limit must be between 1 and %d.", candour.ListLimit)
	}
	if q.Limit == 0 {
		q.Limit = candour.ListLimit
	}
	return nil
}

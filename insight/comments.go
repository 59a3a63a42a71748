package insight

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// CommentPageSize is how many comments a page of the comments answer holds
// at most: the most records one request opens.
const CommentPageSize = 50

// maxCommentPage bounds the page number a request may ask for.
const maxCommentPage = 10_000

// commentGroup is one agency's service in one released month, as comments
// are grouped: how many comments it shows, and (once fetched, for a page)
// the records on the page.
type commentGroup struct {
	agency, service, period string
	shown                   int
	recs                    []candour.Record
}

// Comments returns one page of the redacted comments of released months in
// the caller's scope that pass q's filters, by service and month.
//
// What is published is decided before anything is opened, from what is
// stored in clear: a group publishes only when it has lost no member since
// its release (a withdrawal or erasure withholds the whole group rather than
// showing it one comment short), and its records with comments pass the
// contributor rules (Protect) for the minimum cell size. Groups that do not
// publish are not named. A published group shows its comments in an order
// keyed by a secret, never the order of submission, and as a multiple of
// Rounding of them, never its exact count. Only the page's records are
// opened, logged by id before anything is returned.
func (s *Service) Comments(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightComments, error) {
	if c.Purpose == "" {
		return candour.InsightComments{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required for insight.")
	}
	q.GroupBy = nil
	if err := validate(q); err != nil {
		return candour.InsightComments{}, err
	}
	if q.Page < 0 || q.Page > maxCommentPage {
		return candour.InsightComments{}, candour.Errorf(candour.EINVALID, "page must be a whole number from 1 to %d.", maxCommentPage)
	}
	page := max(q.Page, 1)
	entry, d, err := s.decide(ctx, c, candour.ActionInsightComments, fmt.Sprintf("from=%s\x00to=%s\x00service=%s\x00page=%d", q.From, q.To, q.Service, page))
	if err != nil {
		return candour.InsightComments{}, err
	}
	if !slices.Contains(d.Obligations.Fields, "comments") || s.opener == nil {
		return candour.InsightComments{}, s.refuse(ctx, entry, candour.OutcomeDenied, candour.Errorf(candour.EFORBIDDEN, "The data-sharing agreements in scope do not share comments."))
	}
	if s.redactor == nil {
		return candour.InsightComments{}, s.refuse(ctx, entry, candour.OutcomeUnavailable, candour.Errorf(candour.EUNAVAILABLE, "Comments cannot be served: this server has no redactor."))
	}
	s.release(ctx)
	ctx = inScope(ctx, d)
	k := max(d.Obligations.MinCellSize, DefaultMinCell)
	groups, err := s.publishedCommentGroups(ctx, d, entry.Time, q, k)
	if err != nil {
		return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	// The page: a window over the published comments, group after group.
	// Only the groups on it are read record by record.
	first, last := (page-1)*CommentPageSize, page*CommentPageSize
	out := candour.InsightComments{MinCell: k, Page: page, PageSize: CommentPageSize, Groups: []candour.CommentGroup{}}
	var onPage []commentGroup
	at := 0
	for _, g := range groups {
		if lo, hi := max(first-at, 0), min(last-at, g.shown); lo < hi {
			if g.recs, err = s.shownComments(ctx, d.Scope, entry.Time, g); err != nil {
				return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
			}
			g.recs = g.recs[min(lo, len(g.recs)):min(hi, len(g.recs))]
			onPage = append(onPage, g)
		}
		at += g.shown
	}
	out.More = at > last
	for _, g := range onPage {
		for _, r := range g.recs {
			entry.Records = append(entry.Records, r.ID)
		}
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	for _, g := range onPage {
		sealed := make([]candour.Record, len(g.recs))
		for i, r := range g.recs {
			if sealed[i], err = s.store.Record(ctx, r.ID); err != nil {
				return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
			}
		}
		texts, err := s.opener.OpenComments(ctx, sealed)
		if err != nil {
			return candour.InsightComments{}, err
		}
		cg := candour.CommentGroup{Service: g.service, Period: g.period, Comments: []string{}}
		for _, t := range texts {
			if t = strings.TrimSpace(t); t != "" {
				cg.Comments = append(cg.Comments, s.redactor.Redact(t))
			}
		}
		cg.Themes, cg.SentimentMean = summarizeComments(cg.Comments, k)
		out.Groups = append(out.Groups, cg)
	}
	return out, nil
}

// publishedCommentGroups returns the comment groups that may be published,
// each with how many comments it shows (a multiple of Rounding), in
// service, month and agency order. It reads counts kept at release only:
// no record is read or opened.
func (s *Service) publishedCommentGroups(ctx context.Context, d candour.Decision, now time.Time, q candour.SummaryQuery, k int) ([]commentGroup, error) {
	intact := map[[3]string]bool{}
	rg, err := s.store.ReleaseGroups(ctx, scopeAgencies(d), now, q)
	if err != nil {
		return nil, err
	}
	for _, g := range rg {
		intact[[3]string{g.Agency, g.Service, g.Period}] = g.Intact
	}
	tallies, err := s.store.CommentTallies(ctx, d.Scope, q)
	if err != nil {
		return nil, err
	}
	var out []commentGroup
	for _, t := range tallies {
		total, shares := 0, make([]int, 0, len(t.BySubmitter))
		for _, n := range t.BySubmitter {
			total += n
			shares = append(shares, n)
		}
		if intact[[3]string{t.Agency, t.Service, t.Period}] && passes(total, shares, t.Subjects, k) {
			out = append(out, commentGroup{agency: t.Agency, service: t.Service, period: t.Period, shown: total / Rounding * Rounding})
		}
	}
	slices.SortFunc(out, func(a, b commentGroup) int {
		return cmp.Or(cmp.Compare(a.service, b.service), cmp.Compare(a.period, b.period), cmp.Compare(a.agency, b.agency))
	})
	return out, nil
}

// shownComments returns the records whose comments a published group shows:
// its members in an order keyed by the secret, the first g.shown of them.
// An intact group's live members are the ones its release counted.
func (s *Service) shownComments(ctx context.Context, scope candour.Scope, now time.Time, g commentGroup) ([]candour.Record, error) {
	rs, err := s.store.CommentMembers(ctx, scope, now, g.agency, g.service, g.period)
	if err != nil {
		return nil, err
	}
	order := func(r candour.Record) uint64 { return s.noise.uniform(r.RecordKey, 0, "comment-order\x00"+r.ID) }
	slices.SortFunc(rs, func(a, b candour.Record) int { return cmp.Compare(order(a), order(b)) })
	return rs[:min(g.shown, len(rs))], nil
}

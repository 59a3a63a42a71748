package storetest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// releaseRow is the row a release takes of rec, by the reference definition.
func releaseRow(rec candour.Record) candour.ReleaseRow {
	return candour.ReleaseRow{ReleaseKey: candour.ReleaseKey{Period: rec.Period, Agency: rec.Agency, Service: rec.Service,
		Touchpoint: rec.Touchpoint, Channel: rec.Channel, Sensitivity: rec.Sensitivity, Purposes: rec.Consent.Purposes,
		ShareWith: rec.Consent.ShareWith, Bands: rec.Bands, Submitter: rec.SubmittedBy},
		Ratings: rec.Ratings, RecordKey: rec.RecordKey, SubjectHash: rec.SubjectHash}
}

// sortedStrata writes strata in full, in a stable order.
func sortedStrata(strata []candour.Stratum) []string {
	out := make([]string, len(strata))
	for i, s := range strata {
		out[i] = fmt.Sprintf("%+v", s)
	}
	slices.Sort(out)
	return out
}

// testReleases checks releases against the reference definitions: a release
// takes every record of its month submitted by then with consent live then,
// once; it never changes after, whatever is submitted or withdrawn, and an
// erasure removes the subject's rows; scopes and filters select as
// candour.Scope.Admits and SummaryQuery.Matches say.
func testReleases(t *testing.T, s Store) {
	ctx := Context()
	at := time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	services := []string{"victim-support/initial-contact", "victim-support/court-preparation"}
	answers := []string{"", "yes", "no", "partly"}
	var recs []candour.Record
	for i := range 240 {
		rec := Record(fmt.Sprintf("m-%03d", i))
		rec.Agency = Agencies()[r.IntN(2)]
		rec.Service = services[r.IntN(2)]
		rec.Channel = []string{"phone", "web", ""}[r.IntN(3)]
		rec.Period = fmt.Sprintf("2026-%02d", 1+r.IntN(7))
		rec.SubmittedAt = at.Add(-time.Duration(r.IntN(1000)) * time.Hour)
		rec.SubmittedBy = fmt.Sprintf("cw-%d", r.IntN(5))
		rec.RecordKey = r.Uint32()
		rec.HasComment = r.IntN(2) == 0
		rec.SubjectHash = []byte{byte(r.IntN(40))}
		rec.Consent.ExpiresAt, rec.Consent.WithdrawnAt = nil, nil
		rec.Consent.Purposes = []candour.Purpose{candour.PurposeServiceImprovement}
		if r.IntN(2) == 0 {
			rec.Consent.Purposes = append(rec.Consent.Purposes, candour.PurposeResearch)
		}
		rec.Ratings = candour.Ratings{FeltSafe: answers[r.IntN(4)], FeltBelieved: answers[r.IntN(4)]}
		if r.IntN(5) > 0 {
			rec.Ratings.Satisfaction = intp(1 + r.IntN(5))
		}
		if r.IntN(4) > 0 {
			rec.Ratings.WouldRecommend = intp(r.IntN(11))
		}
		rec.Bands = candour.Equality{AgeBand: []string{"under_25", "25-44", ""}[r.IntN(3)]}
		switch r.IntN(10) {
		case 0:
			w := at.Add(-time.Hour)
			rec.Consent.WithdrawnAt = &w
			rec.Ratings, rec.Bands = candour.Ratings{}, candour.Equality{}
		case 1:
			e := at.Add(-time.Minute) // expired before the release
			rec.Consent.ExpiresAt = &e
		case 2:
			e := at.Add(time.Hour) // expires after it: released all the same
			rec.Consent.ExpiresAt = &e
		case 3:
			rec.SubmittedAt = at.Add(time.Hour) // arrives after the release
		}
		if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	taken := func(rec candour.Record) bool {
		return rec.Period <= "2026-06" && rec.Consent.WithdrawnAt == nil && !rec.SubmittedAt.After(at) &&
			(rec.Consent.ExpiresAt == nil || rec.Consent.ExpiresAt.After(at))
	}
	pending, err := s.PendingPeriods(ctx, "2026-06")
	if want := []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"}; err != nil || !reflect.DeepEqual(pending, want) {
		t.Fatalf("PendingPeriods = %v, %v; want %v", pending, err, want)
	}
	for _, p := range pending {
		rel, err := s.ReleasePeriod(ctx, p, at)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, rec := range recs {
			if rec.Period == p && taken(rec) {
				want++
			}
		}
		if rel.Records != want {
			t.Errorf("release of %s took %d records, want %d", p, rel.Records, want)
		}
	}
	if _, err := s.ReleasePeriod(ctx, "2026-03", at.Add(time.Hour)); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("releasing a period twice: %v, want ECONFLICT", err)
	}
	if pending, err := s.PendingPeriods(ctx, "2026-12"); err != nil || !reflect.DeepEqual(pending, []string{"2026-07"}) {
		t.Errorf("PendingPeriods after release = %v, %v; want only 2026-07", pending, err)
	}
	rels, err := s.ReleasedPeriods(ctx)
	if err != nil || len(rels) != 6 || rels[0].Period != "2026-01" || !rels[5].ReleasedAt.Equal(at) {
		t.Errorf("ReleasedPeriods = %+v, %v", rels, err)
	}

	scopes := map[string]candour.Scope{
		"both agencies": {Grants: []candour.ScopeGrant{
			{Agency: Agencies()[0], Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Sensitivities: candour.Sensitivities()},
			{Agency: Agencies()[1], Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Sensitivities: candour.Sensitivities()}}},
		"research, shared": {Grants: []candour.ScopeGrant{{Agency: Agencies()[0], Purposes: []candour.Purpose{candour.PurposeResearch},
			Sensitivities: []candour.Sensitivity{candour.SensitivitySpecialCategory}, SharedWith: "police-north"}}},
		"empty": {},
	}
	queries := []candour.SummaryQuery{{}, {From: "2026-02", To: "2026-04"}, {Service: services[1]}, {From: "2026-06"}}
	var erasedHash []byte
	check := func(t *testing.T) {
		for name, sc := range scopes {
			for _, q := range queries {
				var rows []candour.ReleaseRow
				for _, rec := range recs {
					row := releaseRow(rec)
					if taken(rec) && sc.Admits(row.ReleaseKey) && q.Matches(row.ReleaseKey) && !(erasedHash != nil && rec.Agency == Agencies()[1] && string(rec.SubjectHash) == string(erasedHash)) {
						rows = append(rows, row)
					}
				}
				got, err := s.ReleaseStrata(ctx, sc, q)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := sortedStrata(got), sortedStrata(candour.Strata(rows)); !reflect.DeepEqual(g, w) {
					t.Errorf("%s %+v: %d strata, want %d\n got %v\nwant %v", name, q, len(g), len(w), g, w)
				}
			}
		}
	}
	t.Run("as released", check)

	// Later arrivals and withdrawals change no release; a withdrawn record
	// keeps no analytical values; an erasure removes the subject's rows.
	late := Record("late-1")
	late.Period, late.SubmittedAt = "2026-03", at.Add(48*time.Hour)
	if _, err := s.CreateFeedback(ctx, late, Entry("cw", candour.ActionFeedbackCreate, late.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if taken(recs[i]) && i%6 == 0 {
			if _, err := s.WithdrawFeedback(ctx, recs[i].ID, at.Add(time.Hour), Entry("cw", candour.ActionFeedbackWithdraw, recs[i].ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("after a late arrival and withdrawals", check)
	erasedHash = recs[1].SubjectHash
	if _, _, err := s.EraseSubject(ctx, Agencies()[1], erasedHash, Entry("dpo", candour.ActionSubjectErase)); err != nil {
		t.Fatal(err)
	}
	t.Run("after an erasure", check)

	// Comments read the released records still live, and the groups say how
	// many were released and how many are left.
	now := at.Add(2 * time.Hour)
	sc := scopes["both agencies"]
	members, intact, subjects := map[[3]string]int{}, map[[3]string]bool{}, map[[3]string]map[string]bool{}
	type tally struct {
		bySub    map[string]int
		subjects map[string]bool // by stratum and subject
		ids      []string        // live members in scope now
	}
	commenters := map[[3]string]*tally{}
	for i, rec := range recs {
		if !taken(rec) {
			continue
		}
		erased := rec.Agency == Agencies()[1] && string(rec.SubjectHash) == string(erasedHash)
		gone := erased || i%6 == 0 || (rec.Consent.ExpiresAt != nil && !rec.Consent.ExpiresAt.After(now))
		g := [3]string{rec.Agency, rec.Service, rec.Period}
		if members[g] == 0 {
			intact[g], subjects[g] = true, map[string]bool{}
		}
		members[g]++
		if rec.SubjectHash == nil {
			subjects[g][rec.ID] = true
		} else {
			subjects[g][string(rec.SubjectHash)] = true
		}
		intact[g] = intact[g] && !gone
		if !rec.HasComment || !sc.Admits(releaseRow(rec).ReleaseKey) {
			continue
		}
		if commenters[g] == nil {
			commenters[g] = &tally{bySub: map[string]int{}, subjects: map[string]bool{}}
		}
		commenters[g].bySub[rec.SubmittedBy]++
		commenters[g].subjects[fmt.Sprint(rec.Sensitivity, rec.Consent.Purposes, rec.Consent.ShareWith, rec.SubmittedBy, rec.SubjectHash)] = true
		if !gone {
			commenters[g].ids = append(commenters[g].ids, rec.ID)
		}
	}
	tallies, err := s.CommentTallies(ctx, sc, candour.SummaryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tallies) != len(commenters) || len(tallies) == 0 {
		t.Errorf("CommentTallies: %d groups, want %d", len(tallies), len(commenters))
	}
	for _, tl := range tallies {
		id := [3]string{tl.Agency, tl.Service, tl.Period}
		want := commenters[id]
		if want == nil || !reflect.DeepEqual(tl.BySubmitter, want.bySub) || tl.Subjects != len(want.subjects) {
			t.Errorf("CommentTallies %v: %v, %d subjects; want %+v", id, tl.BySubmitter, tl.Subjects, want)
			continue
		}
		got, err := s.CommentMembers(ctx, sc, now, tl.Agency, tl.Service, tl.Period)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
			if at := indexOf(recs, r.ID); at < 0 || r.RecordKey != recs[at].RecordKey {
				t.Errorf("CommentMembers gave %s without its record key", r.ID)
			}
		}
		slices.Sort(ids)
		slices.Sort(want.ids)
		if !reflect.DeepEqual(ids, want.ids) {
			t.Errorf("CommentMembers %v: %v, want %v", id, ids, want.ids)
		}
	}
	if tl, err := s.CommentTallies(ctx, sc, candour.SummaryQuery{Service: services[0], From: "2026-03", To: "2026-03"}); err != nil {
		t.Fatal(err)
	} else {
		for _, g := range tl {
			if g.Service != services[0] || g.Period != "2026-03" {
				t.Errorf("filtered CommentTallies gave %+v", g)
			}
		}
	}
	withdrawn := 0
	for i, rec := range recs {
		if taken(rec) && i%6 == 0 {
			withdrawn++
		}
	}
	groups, err := s.ReleaseGroups(ctx, Agencies()[:2], now, candour.SummaryQuery{})
	if err != nil || len(groups) != len(members) {
		t.Fatalf("ReleaseGroups: %d groups, %v; want %d", len(groups), err, len(members))
	}
	broken := 0
	for _, g := range groups {
		id := [3]string{g.Agency, g.Service, g.Period}
		if g.Members != members[id] || g.Intact != intact[id] || g.Subjects != len(subjects[id]) {
			t.Errorf("group %v: %d members of %d subjects, intact %v; want %d of %d, %v", id, g.Members, g.Subjects, g.Intact,
				members[id], len(subjects[id]), intact[id])
		}
		if !g.Intact {
			broken++
		}
	}
	if broken == 0 || broken == len(groups) || withdrawn == 0 {
		t.Errorf("%d of %d groups broken; the check proves little", broken, len(groups))
	}
	if groups, err := s.ReleaseGroups(ctx, Agencies()[:1], now, candour.SummaryQuery{Service: services[0], From: "2026-05"}); err != nil {
		t.Fatal(err)
	} else {
		for _, g := range groups {
			if g.Agency != Agencies()[0] || g.Service != services[0] || g.Period < "2026-05" {
				t.Errorf("filtered ReleaseGroups gave %+v", g)
			}
		}
	}
}

// testWithdrawnValues checks that a withdrawn record keeps only what the
// audit log and the receipt need: its id, agency, consent record and
// withdrawal time; no service, touchpoint, channel, month, rating, band,
// record key or content.
func testWithdrawnValues(t *testing.T, s Store) {
	ctx := Context()
	rec := Record("wv-1")
	rec.HasComment = true
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := s.WithdrawFeedback(ctx, rec.ID, at, Entry("cw", candour.ActionFeedbackWithdraw, rec.ID)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Record(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sealed) != 0 {
		t.Errorf("a withdrawn record kept %d bytes of sealed content", len(got.Sealed))
	}
	kept := candour.Record{ID: got.ID, Agency: got.Agency, SubmittedBy: got.SubmittedBy, SubmittedAt: got.SubmittedAt,
		Sensitivity: got.Sensitivity, Consent: got.Consent, SubjectHash: got.SubjectHash, Sealed: got.Sealed}
	if !reflect.DeepEqual(got, kept) {
		t.Errorf("a withdrawn record kept analytical values:\n got %+v", got)
	}
	if got.ID != rec.ID || got.Agency != rec.Agency || got.Consent.WithdrawnAt == nil || !got.Consent.WithdrawnAt.Equal(at) {
		t.Errorf("a withdrawn record lost what its receipt needs: %+v", got)
	}
	if strings.Contains(fmt.Sprintf("%v", got), rec.Service) {
		t.Errorf("the service survives withdrawal")
	}
}

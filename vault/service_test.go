package vault

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/sqlite/sqlitetest"
	"github.com/candour-vault/candour/vault/keyring"
)

const (
	secretComment = "My neighbour Mrs Dawson keeps threatening me"
	secretRef     = "VS-2026-424242"
)

type fixture struct {
	svc  *Service
	db   *sqlite.DB
	keys *keyring.Keyring
}

func newFixture(t *testing.T, wrap func(*Config)) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := sqlitetest.Open(t)
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Store: db, DataKeys: db, Log: db, Keys: keys, Policy: pol,
		Now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }}
	if wrap != nil {
		wrap(&c)
	}
	return fixture{svc: New(c), db: db, keys: keys}
}

func caseworker(agency string) candour.Caller {
	return candour.Caller{Principal: candour.Principal{Issuer: "test", Subject: "cw-" + agency, Agency: agency,
		Roles: []candour.Role{candour.RoleCaseworker}}, RequestID: "req-1"}
}

func reading(c candour.Caller) candour.Caller {
	c.Purpose = candour.PurposeCaseManagement
	return c
}

func feedback() candour.Feedback {
	four := 4
	return candour.Feedback{Service: "victim-support/initial-contact", Period: "2026-10",
		Ratings: candour.Ratings{Satisfaction: &four}, Comment: secretComment, SubjectRef: secretRef,
		Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeEqualityMonitoring},
			Method: "verbal", NoticeVersion: "2026-01"},
		Equality: &candour.Equality{AgeBand: "35-44"}}
}

func auditOutcomes(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	leaves, err := db.AuditEntries(context.Background(), candour.AuditFilter{After: -1, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range leaves {
		e, err := candour.ParseAuditLeaf(l.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(e.Action)+":"+e.Outcome)
	}
	return out
}

func TestSubmitAndRead(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	f := feedback()
	rc, err := fx.svc.Submit(ctx, cw, f, candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.AuditSeq != 0 {
		t.Errorf("audit_seq = %d, want 0 for the first entry", rc.AuditSeq)
	}
	got, err := fx.svc.Read(ctx, reading(cw), rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Comment != secretComment || got.SubjectRef != secretRef || got.Equality.AgeBand != "35-44" {
		t.Errorf("read back %+v, want the submitted content", got)
	}
	if got.Agency != "victim-support-north" || got.SubmittedBy != "cw-victim-support-north" || got.Consent.CapturedBy != got.SubmittedBy {
		t.Errorf("agency %q submitter %q captured_by %q: want them from the caller", got.Agency, got.SubmittedBy, got.Consent.CapturedBy)
	}

	rec, err := fx.db.Record(ctx, rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{secretComment, secretRef, "35-44"} {
		if bytes.Contains(rec.Sealed, []byte(secret)) || bytes.Contains(rec.SubjectHash, []byte(secret)) {
			t.Errorf("stored record holds %q in clear", secret)
		}
	}
	if rec.Bands != (candour.Equality{AgeBand: "25-44"}) {
		t.Errorf("clear bands %+v, want only the age band widened from 35-44 to 25-44", rec.Bands)
	}
	want, _ := fx.keys.SubjectHash(ctx, secretRef)
	if !bytes.Equal(rec.SubjectHash, want) {
		t.Error("stored subject hash is not the keyed hash of the subject reference")
	}
	if got, want := auditOutcomes(t, fx.db), []string{"feedback.create:ok", "feedback.read:ok"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

func TestReadDeniedLooksLikeMissing(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	rc, err := fx.svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	analyst := candour.Caller{Principal: candour.Principal{Subject: "an", Agency: "victim-support-north",
		Roles: []candour.Role{candour.RoleAnalyst}}, Purpose: candour.PurposeCaseManagement}
	tests := []struct {
		name string
		c    candour.Caller
		id   string
	}{
		{"other agency", reading(caseworker("police-north")), rc.ID},
		{"analyst", analyst, rc.ID},
		{"wrong purpose", func() candour.Caller {
			c := caseworker("victim-support-north")
			c.Purpose = candour.PurposeResearch
			return c
		}(), rc.ID},
		{"no such id", reading(caseworker("victim-support-north")), "01a20db6-610d-704e-8661-01d15feb70cf"},
		{"malformed id", reading(caseworker("victim-support-north")), "../../etc"},
	}
	var msgs []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fx.svc.Read(ctx, tt.c, tt.id)
			if got := candour.ErrorCode(err); got != candour.ENOTFOUND {
				t.Fatalf("code = %q (%v), want %q", got, err, candour.ENOTFOUND)
			}
			if f.Comment != "" {
				t.Error("content returned with an error")
			}
			msgs = append(msgs, err.Error())
		})
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("denied and missing differ: %q vs %q", m, msgs[0])
		}
	}
	got := strings.Join(auditOutcomes(t, fx.db), ",")
	want := "feedback.create:ok,feedback.read:denied,feedback.read:denied,feedback.read:denied,feedback.read:not_found"
	if got != want {
		t.Errorf("audit = %s, want %s (a malformed id is not looked up)", got, want)
	}
}

func TestSubmitNeedsCaseworkerOfKnownAgency(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	for _, c := range []candour.Caller{
		caseworker("unknown-agency"),
		{Principal: candour.Principal{Subject: "an", Agency: "police-north", Roles: []candour.Role{candour.RoleAnalyst}}},
	} {
		_, err := fx.svc.Submit(ctx, c, feedback(), candour.Idempotency{})
		if got := candour.ErrorCode(err); got != candour.EFORBIDDEN {
			t.Errorf("%+v: code = %q (%v), want %q", c.Principal, got, err, candour.EFORBIDDEN)
		}
	}
	if got := strings.Join(auditOutcomes(t, fx.db), ","); got != "feedback.create:denied,feedback.create:denied" {
		t.Errorf("audit = %s, want two denials", got)
	}
}

// failingLog is an audit log that cannot be written.
type failingLog struct{}

func (failingLog) AppendAudit(context.Context, candour.AuditEntry) (int64, error) {
	return 0, errors.New("disk full")
}

// brokenPolicy cannot decide.
type brokenPolicy struct{}

func (brokenPolicy) Decide(context.Context, candour.DecisionInput) (candour.Decision, error) {
	return candour.Decision{}, errors.New("rego: eval_conflict_error")
}

// lostKeys is a key provider that has gone away.
type lostKeys struct{ KEK }

func (lostKeys) WrapKeys(context.Context, [][]byte) ([][]byte, error) {
	return nil, errors.New("connection refused")
}
func (lostKeys) UnwrapKeys(context.Context, [][]byte) ([][]byte, error) {
	return nil, errors.New("connection refused")
}

func TestFailClosed(t *testing.T) {
	ctx := context.Background()
	healthy := newFixture(t, nil)
	rc, err := healthy.svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		wrap func(*Config)
	}{
		{"no audit", func(c *Config) { c.Log = failingLog{} }},
		{"no policy", func(c *Config) { c.Policy = brokenPolicy{} }},
		{"no keys", func(c *Config) { c.Keys = lostKeys{c.Keys} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Store: healthy.db, DataKeys: healthy.db, Log: healthy.db, Keys: healthy.keys, Policy: healthy.svc.policy, Now: healthy.svc.now}
			tt.wrap(&c)
			svc := New(c)
			f, err := svc.Read(ctx, reading(caseworker("victim-support-north")), rc.ID)
			if got := candour.ErrorCode(err); got != candour.EUNAVAILABLE {
				t.Errorf("Read code = %q (%v), want %q", got, err, candour.EUNAVAILABLE)
			}
			if f.Comment != "" || f.ID != "" {
				t.Error("Read returned data while failing closed")
			}
			if tt.name == "no audit" {
				return // submission with a broken log is the store's atomicity test
			}
			if _, err := svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{}); candour.ErrorCode(err) != candour.EUNAVAILABLE {
				t.Errorf("Submit error %v, want EUNAVAILABLE", err)
			}
		})
	}
	leaves, _ := healthy.db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 100})
	for _, l := range leaves[1:] {
		e, _ := candour.ParseAuditLeaf(l.Leaf)
		if e.Action == candour.ActionFeedbackCreate && e.Outcome == candour.OutcomeOK {
			t.Errorf("entry %d: a submission was stored while a dependency was down", l.Seq)
		}
	}
}

func TestAdminReadIsFlagged(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	rc, err := fx.svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	admin := candour.Caller{Principal: candour.Principal{Subject: "dpo", Agency: "victim-support-north",
		Roles: []candour.Role{candour.RoleAdmin}}, Purpose: candour.PurposeCaseManagement}
	if _, err := fx.svc.Read(ctx, admin, rc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Read(ctx, reading(caseworker("victim-support-north")), rc.ID); err != nil {
		t.Fatal(err)
	}
	leaves, _ := fx.db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 10})
	var flags []string
	for _, l := range leaves {
		e, _ := candour.ParseAuditLeaf(l.Leaf)
		flags = append(flags, e.Flag)
	}
	if got, want := strings.Join(flags, ","), ",admin_content_access,"; got != want {
		t.Errorf("flags of create, admin read, caseworker read = %q, want %q", got, want)
	}
}

// TestErrorsNameThePart: a failure answers with the part that failed, the
// record store or the key provider, never the other.
func TestErrorsNameThePart(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		breakIt func(f fixture) *Service
		want    string
	}{
		{"database closed", func(f fixture) *Service { f.db.Close(); return f.svc }, "record store"},
		{"keys lost", func(f fixture) *Service {
			return New(Config{Store: f.db, DataKeys: f.db, Log: f.db, Keys: lostKeys{f.keys}, Policy: f.svc.policy, Now: f.svc.now})
		}, "key provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.breakIt(newFixture(t, nil))
			_, err := svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
			if candour.ErrorCode(err) != candour.EUNAVAILABLE || !strings.Contains(candour.ErrorMessage(err), tt.want) {
				t.Errorf("Submit: %q (%v); want EUNAVAILABLE naming the %s", candour.ErrorMessage(err), err, tt.want)
			}
		})
	}
}

// lookupCounter passes every call on to the store, counting the data-key
// look-ups.
type lookupCounter struct {
	candour.DataKeyStore
	n atomic.Int64
}

func (c *lookupCounter) DataKey(ctx context.Context, id string) ([]byte, error) {
	c.n.Add(1)
	return c.DataKeyStore.DataKey(ctx, id)
}

// TestSubmitKeyLookups counts the look-ups of stored data keys a run of
// submissions makes. A record without a subject reference is sealed under a
// key of its own, named by an id drawn at that moment: no look-up. Once the
// key directory is loaded, a person the store has never seen gets a fresh
// key without a look-up too; before it is loaded, their first submission
// looks once. A later submission finds the key in the cache, or without the
// cache looks it up. A key stored after the load by another server is
// refused as new by the store, looked up once, and the record sealed under
// it. Every record opens again, and each submission is audited once.
func TestSubmitKeyLookups(t *testing.T) {
	ctx := context.Background()
	noCache := &CacheLimits{}
	tests := []struct {
		name       string
		subject    string
		loaded     bool // the key directory loaded before the first submission
		storedElse bool // the subject's key stored behind the service's back, after the load
		caching    *CacheLimits
		times      int
		want       int64
	}{
		{name: "no subject reference", times: 3},
		{name: "a subject's records, directory not loaded", subject: secretRef, times: 3, want: 1},
		{name: "a subject's records, directory loaded", subject: secretRef, loaded: true, times: 3},
		{name: "no cache, directory not loaded", subject: secretRef, caching: noCache, times: 3, want: 3},
		{name: "no cache, directory loaded", subject: secretRef, caching: noCache, loaded: true, times: 3, want: 2},
		{name: "key stored by another server after the load", subject: secretRef, loaded: true, storedElse: true, times: 2, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys *lookupCounter
			fx := newFixture(t, func(c *Config) {
				keys = &lookupCounter{DataKeyStore: c.DataKeys}
				c.DataKeys = keys
				c.KeyCaching = tt.caching
			})
			if tt.loaded {
				if err := fx.svc.LoadKeyDirectory(ctx, fx.db); err != nil {
					t.Fatal(err)
				}
			}
			if tt.storedElse {
				hash, err := fx.keys.SubjectHash(ctx, tt.subject)
				if err != nil {
					t.Fatal(err)
				}
				wrapped, err := fx.keys.WrapKeys(ctx, [][]byte{make([]byte, 32)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fx.db.AddDataKey(ctx, candour.SubjectKeyID("victim-support-north", hash), wrapped[0]); err != nil {
					t.Fatal(err)
				}
			}
			cw := caseworker("victim-support-north")
			f := feedback()
			f.SubjectRef = tt.subject
			var ids []string
			for range tt.times {
				rc, err := fx.svc.Submit(ctx, cw, f, candour.Idempotency{})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, rc.ID)
			}
			if n := keys.n.Load(); n != tt.want {
				t.Errorf("%d data-key look-ups for %d submissions, want %d", n, tt.times, tt.want)
			}
			for _, id := range ids {
				got, err := fx.svc.Read(ctx, reading(cw), id)
				if err != nil || got.Comment != secretComment {
					t.Fatalf("read back: %v (comment kept: %t)", err, got.Comment == secretComment)
				}
			}
			created := 0
			for _, o := range auditOutcomes(t, fx.db) {
				if o == "feedback.create:ok" {
					created++
				}
			}
			if created != tt.times {
				t.Errorf("%d feedback.create entries for %d submissions", created, tt.times)
			}
		})
	}
}

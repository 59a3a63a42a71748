package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
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

func TestEnvelope(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	otherKey := bytes.Repeat([]byte{8}, 32)
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "verbal", NoticeVersion: "2026-01",
		CapturedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), CapturedBy: "cw"}
	widened := consent
	widened.Purposes = []candour.Purpose{candour.PurposeResearch, candour.PurposeInterAgency}
	withdrawnAt := consent.CapturedAt.Add(time.Hour)
	withdrawn := consent
	withdrawn.WithdrawnAt = &withdrawnAt
	c := content{ID: "rec-a", Agency: "police-north", Comment: secretComment, SubjectRef: secretRef}
	sealed, err := seal(key, c, consent)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name    string
		key     []byte
		sealed  []byte
		id      string
		agency  string
		consent candour.Consent
		ok      bool
	}{
		{"valid", key, sealed, "rec-a", "police-north", consent, true},
		{"withdrawal does not change the binding", key, sealed, "rec-a", "police-north", withdrawn, true},
		{"wrong key", otherKey, sealed, "rec-a", "police-north", consent, false},
		{"moved to another row", key, sealed, "rec-b", "police-north", consent, false},
		{"moved to another agency", key, sealed, "rec-a", "victim-support-north", consent, false},
		{"consent widened in the database", key, sealed, "rec-a", "police-north", widened, false},
		{"old version", key, append([]byte("candour-envelope/v1\n"), sealed[len(envelopeV2):]...), "rec-a", "police-north", consent, false},
		{"truncated", key, sealed[:len(sealed)-10], "rec-a", "police-north", consent, false},
		{"trailing byte", key, append(bytes.Clone(sealed), 0), "rec-a", "police-north", consent, false},
		{"trailing chunk", key, append(bytes.Clone(sealed), make([]byte, 64*1024+16)...), "rec-a", "police-north", consent, false},
		{"header bit flipped", key, flip(len(envelopeV2) + 40), "rec-a", "police-north", consent, false},
		{"payload bit flipped", key, flip(len(sealed) - 5), "rec-a", "police-north", consent, false},
		{"destroyed", key, nil, "rec-a", "police-north", consent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(tt.key, tt.sealed, tt.id, tt.agency, tt.consent)
			if tt.ok {
				if err != nil || got != c {
					t.Errorf("open = %+v, %v; want %+v", got, err, c)
				}
				return
			}
			if !errors.Is(err, errEnvelope) {
				t.Errorf("open error = %v, want errEnvelope", err)
			}
			if strings.Contains(err.Error(), secretComment) {
				t.Error("error holds plaintext")
			}
		})
	}
	if bytes.Contains(sealed, []byte(secretComment)) || bytes.Contains(sealed, []byte(secretRef)) {
		t.Error("sealed envelope holds plaintext")
	}
}

// TestEnvelopeChunks opens content that spans one, two and three of age's
// 64 KiB chunks, whole, and refuses each with its last chunk cut off.
func TestEnvelopeChunks(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "verbal", NoticeVersion: "2026-01",
		CapturedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), CapturedBy: "cw"}
	for _, n := range []int{10, 64*1024 - 60, 64 * 1024, 100_000, 140_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			c := content{ID: "rec-a", Agency: "police-north", Comment: strings.Repeat("x", n)}
			sealed, err := seal(key, c, consent)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := open(key, sealed, c.ID, c.Agency, consent); err != nil || got != c {
				t.Fatalf("open: %d bytes, %v; want the %d sealed", len(got.Comment), err, n)
			}
			plain, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			const chunk = 64 * 1024
			last := (len(plain)-1)%chunk + 1 + 16 // the final chunk, sealed
			cuts := map[string][]byte{"a byte short": sealed[:len(sealed)-1]}
			if len(plain) > chunk {
				cuts["without its final chunk"] = sealed[:len(sealed)-last]
			}
			for name, cut := range cuts {
				if _, err := open(key, cut, c.ID, c.Agency, consent); !errors.Is(err, errEnvelope) {
					t.Errorf("open %s: %v, want errEnvelope", name, err)
				}
			}
		})
	}
}

func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	noSubject := feedback()
	noSubject.SubjectRef = ""
	rc, err := fx.svc.Submit(ctx, cw, noSubject, candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Withdraw(ctx, caseworker("police-north"), rc.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("another agency withdraws: %v, want ENOTFOUND", err)
	}
	w, err := fx.svc.Withdraw(ctx, cw, rc.ID)
	if err != nil || w.ID != rc.ID || w.WithdrawnAt.IsZero() {
		t.Fatalf("Withdraw = %+v, %v", w, err)
	}
	if _, err := fx.svc.Withdraw(ctx, cw, rc.ID); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("second withdrawal: %v, want ECONFLICT", err)
	}
	if _, err := fx.svc.Read(ctx, reading(cw), rc.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("read after withdrawal: %v, want ENOTFOUND", err)
	}
	rec, err := fx.db.Record(candour.WithAgencies(ctx, "victim-support-north"), rc.ID)
	if err != nil || len(rec.Sealed) != 0 || rec.Consent.WithdrawnAt == nil {
		t.Errorf("stored after withdrawal: sealed %d bytes, withdrawn %v, %v; want no content", len(rec.Sealed), rec.Consent.WithdrawnAt, err)
	}
	if _, err := fx.db.DataKey(ctx, candour.RecordKeyID(rc.ID)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the record's data key survived the withdrawal: %v", err)
	}
}

// TestEraseShredsBackups copies a subject's rows aside first, as a backup
// would, erases the subject, and shows the copies can no longer be opened —
// even written back into the database — while another agency's records of
// the same person, and other subjects' records, are untouched.
func TestEraseShredsBackups(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	var ids []string
	for range 3 {
		rc, err := fx.svc.Submit(ctx, cw, feedback(), candour.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	other := feedback()
	other.SubjectRef = "VS-2026-000001"
	otherRC, _ := fx.svc.Submit(ctx, cw, other, candour.Idempotency{})
	police := feedback()
	police.Service = "police/victim-updates"
	policeRC, err := fx.svc.Submit(ctx, caseworker("police-north"), police, candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	var backup []candour.Record
	for _, id := range ids {
		rec, err := fx.db.Record(candour.WithAgencies(ctx, "victim-support-north"), id)
		if err != nil {
			t.Fatal(err)
		}
		backup = append(backup, rec)
	}
	admin := candour.Caller{Principal: candour.Principal{Subject: "dpo", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleAdmin}}}
	if _, err := fx.svc.Erase(ctx, cw, secretRef); candour.ErrorCode(err) != candour.EFORBIDDEN {
		t.Errorf("a caseworker erases: %v, want EFORBIDDEN", err)
	}
	er, err := fx.svc.Erase(ctx, admin, secretRef)
	if err != nil || er.Erased != 3 {
		t.Fatalf("Erase = %+v, %v; want 3 erased", er, err)
	}
	for _, rec := range backup {
		if _, err := fx.svc.open(ctx, rec); !errors.Is(err, errEnvelope) {
			t.Errorf("backup copy of %s opened after erasure: %v", rec.ID, err)
		}
		// Written back through the store as sealed under its subject's
		// key, a copy is refused: the key is gone.
		rec.SealedUnder = &candour.WrappedKey{ID: keyID(rec), Wrapped: []byte("as it was")}
		if _, err := fx.db.CreateFeedback(ctx, rec, candour.AuditEntry{Time: time.Now(), Action: "restore", Outcome: "ok"}, candour.Idempotency{}); !errors.Is(err, candour.ErrDataKeyGone) {
			t.Errorf("a copy of %s written back under its erased subject's key: %v, want ErrDataKeyGone", rec.ID, err)
		}
	}
	if _, err := fx.svc.Read(ctx, reading(cw), otherRC.ID); err != nil {
		t.Errorf("another subject's record: %v", err)
	}
	if _, err := fx.svc.Read(ctx, reading(caseworker("police-north")), policeRC.ID); err != nil {
		t.Errorf("the same person's record at another agency: %v", err)
	}
	leaves, _ := fx.db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 100})
	found := false
	for _, l := range leaves {
		if bytes.Contains(l.Leaf, []byte(secretRef)) {
			t.Fatal("an audit entry holds the subject reference")
		}
		e, _ := candour.ParseAuditLeaf(l.Leaf)
		if e.Action == candour.ActionSubjectErase && e.Outcome == candour.OutcomeOK && len(e.Records) == 3 {
			found = true
		}
	}
	if !found {
		t.Error("no erasure entry naming the 3 erased records")
	}
	if again, err := fx.svc.Erase(ctx, admin, secretRef); err != nil || again.Erased != 0 {
		t.Errorf("erasing once more: %+v, %v; want 0 erased", again, err)
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

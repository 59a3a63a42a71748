package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// testSessions: a session round-trips, is touched, and ends by itself, in
// bulk by age, or not at all when it was never there.
func testSessions(t *testing.T, s Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mk := func(id byte, created time.Time) candour.Session {
		return candour.Session{IDHash: bytes.Repeat([]byte{id}, 32), CreatedAt: created, LastSeen: created,
			Principal: candour.Principal{Issuer: "https://idp.example", Subject: "cw-1", Agency: "police-north",
				Roles: []candour.Role{candour.RoleCaseworker, candour.RoleAdmin}}}
	}
	a, b, c := mk(1, at), mk(2, at.Add(-9*time.Hour)), mk(3, at.Add(-time.Hour))
	for _, sess := range []candour.Session{a, b, c} {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Session(ctx, a.IDHash)
	if err != nil {
		t.Fatal(err)
	}
	if got.Principal.Subject != "cw-1" || got.Principal.Agency != "police-north" || !slices.Equal(got.Principal.Roles, a.Principal.Roles) ||
		!got.CreatedAt.Equal(at) || !got.LastSeen.Equal(at) || got.LastService != "" {
		t.Errorf("session %+v, want %+v", got, a)
	}
	if _, err := s.Session(ctx, []byte("nope")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("missing session: %v, want ENOTFOUND", err)
	}
	later := at.Add(10 * time.Minute)
	if err := s.TouchSession(ctx, a.IDHash, later, "police/victim-updates"); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, a.IDHash, later, ""); err != nil { // an empty service keeps the last
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx, a.IDHash); !got.LastSeen.Equal(later) || got.LastService != "police/victim-updates" {
		t.Errorf("touched session %+v", got)
	}
	// Idle before at-30m (c, last seen an hour ago) or created before at-8h (b).
	n, err := s.DeleteSessions(ctx, at.Add(-30*time.Minute), at.Add(-8*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("DeleteSessions: %d, %v; want 2", n, err)
	}
	if err := s.DeleteSession(ctx, a.IDHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, a.IDHash); err != nil {
		t.Errorf("deleting a session twice: %v", err)
	}
	for _, sess := range []candour.Session{a, b, c} {
		if _, err := s.Session(ctx, sess.IDHash); candour.ErrorCode(err) != candour.ENOTFOUND {
			t.Errorf("session %x outlived its end: %v", sess.IDHash[0], err)
		}
	}
}

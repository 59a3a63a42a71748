package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

// Failing closed: no audit write or no key, no data.

// TestAuditFailureFailsClosed breaks the audit table under a running server:
// submissions and reads answer 503, store nothing and return nothing; once
// the table works again, so does Candour, without a restart.
func TestAuditFailureFailsClosed(t *testing.T) {
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	r := f.start(t, "127.0.0.1:0")
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 5 * time.Second}
	first := &submission{key: "before", comment: "They listened, visit 000001"}
	if st, rc := post(client, r.url, cw, first); st != 201 {
		t.Fatalf("before: %d", st)
	} else {
		first.id = rc.ID
	}
	read := func(id string) (int, string) {
		req, _ := http.NewRequest("GET", r.url+"/v1/feedback/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	rows := func() int { return queryInt(t, db.Super, `SELECT count(*) FROM feedback`) }
	superSQL(t, db.Super, `REVOKE INSERT ON audit_log FROM candour_app`)
	during := &submission{key: "during", comment: "Nobody called back, visit 000002"}
	if st, _ := post(client, r.url, cw, during); st != http.StatusServiceUnavailable {
		t.Errorf("submission with the audit table broken: %d, want 503", st)
	}
	if st, body := read(first.id); st != http.StatusServiceUnavailable || strings.Contains(body, "They listened") {
		t.Errorf("read with the audit table broken: %d %s; want 503 and no content", st, body)
	}
	if n := rows(); n != 1 {
		t.Errorf("%d feedback rows, want 1: a submission was stored without its audit entry", n)
	}
	superSQL(t, db.Super, `GRANT INSERT ON audit_log TO candour_app`)
	if st, _ := post(client, r.url, cw, during); st != 201 {
		t.Errorf("submission after repair: %d, want 201", st)
	}
	if st, _ := read(first.id); st != 200 {
		t.Errorf("read after repair: %d, want 200", st)
	}
}

// TestTransitFailsClosed runs candour server on PostgreSQL with HashiCorp
// Vault transit holding the key-encryption key. With Vault sealed, and with
// Vault hung, submissions and reads answer 503 with Retry-After, store and
// return nothing, and /readyz says the keys are unavailable; when Vault is
// back, service resumes without a restart, and there is never a fallback to
// a local key.
func TestTransitFailsClosed(t *testing.T) {
	v := vaulttest.Start(t)
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	os.Remove(f.keyFile) // no local key to fall back on
	r := f.start(t, "127.0.0.1:0", "--keys", "transit", "--vault-addr", v.Addr, "--vault-token", v.ServiceToken)
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 30 * time.Second}
	n := 0
	submit := func() (int, http.Header) {
		n++
		body := submitBody(fmt.Sprintf("Felt safe at last, visit %06d", n))
		req, _ := http.NewRequest("POST", r.url+"/v1/feedback", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rc candour.Receipt
		json.NewDecoder(resp.Body).Decode(&rc)
		if resp.StatusCode == 201 {
			r.lastID = rc.ID
		}
		return resp.StatusCode, resp.Header
	}
	read := func() int {
		req, _ := http.NewRequest("GET", r.url+"/v1/feedback/"+r.lastID, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ready := func() int {
		resp, err := client.Get(r.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	rows := func() int { return queryInt(t, db.Super, `SELECT count(*) FROM feedback`) }
	if st, _ := submit(); st != 201 || read() != 200 || ready() != 200 {
		t.Fatalf("healthy: submit %d", st)
	}
	for _, down := range []struct {
		name       string
		stop, back func(testing.TB)
	}{
		{"sealed", v.Seal, v.Unseal},
		{"hung", v.Freeze, v.Thaw},
	} {
		down.stop(t)
		// Keys already in memory may serve for up to the one-second health
		// check; from the first refusal on, nothing may be stored.
		var st int
		var h http.Header
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			if st, h = submit(); st != 201 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		before := rows()
		start := time.Now()
		if st != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("%s: submit %d, Retry-After %q; want 503 with Retry-After", down.name, st, h.Get("Retry-After"))
		}
		if st, _ := submit(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: a second submit %d, want 503", down.name, st)
		}
		if st := read(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: read %d, want 503", down.name, st)
		}
		if st := ready(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: /readyz %d, want 503", down.name, st)
		}
		if took := time.Since(start); took > 25*time.Second {
			t.Errorf("%s: the three requests took %v; a down Vault must fail fast", down.name, took)
		}
		if after := rows(); after != before {
			t.Errorf("%s: %d rows stored while Vault was down", down.name, after-before)
		}
		down.back(t)
		resumed := false
		for deadline := time.Now().Add(15 * time.Second); !resumed && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resumed = ready() == 200
		}
		if st, _ := submit(); !resumed || st != 201 || read() != 200 {
			t.Errorf("%s, then back: ready %v, submit %d; want service to resume without a restart", down.name, resumed, st)
		}
	}
	// The service's token revoked: not ready, and nothing served (this
	// static token has no AppRole to log in again with).
	if err := v.Root().Auth().Token().RevokeTree(v.ServiceToken); err != nil {
		t.Fatal(err)
	}
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("token revoked: /readyz %d, want 503", st)
	}
	if st, _ := submit(); st != http.StatusServiceUnavailable {
		t.Errorf("token revoked: submit %d, want 503", st)
	}
}

// queryInt runs a query that gives one whole number, over a connection of its
// own.
func queryInt(t *testing.T, url, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, url)
	var n int
	if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

package transit_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/sqlite/sqlitetest"
	"github.com/candour-vault/candour/vault/transit"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

const origin = "candour.test/audit"

// signedLog returns an audit log on a new SQLite store whose checkpoints are
// signed by the transit key candour-audit, and its verifier key.
func signedLog(t *testing.T, p *transit.Provider, origin string) (*audit.Log, *sqlite.DB, string) {
	t.Helper()
	ctx := context.Background()
	signer, vkey, err := p.CheckpointSigner(ctx, "candour-audit", origin)
	if err != nil {
		t.Fatal(err)
	}
	db := sqlitetest.Open(t)
	log, err := audit.NewSignedLog(db, signer, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return log, db, vkey
}

// TestCheckpointSigner signs audit checkpoints with the Ed25519 transit key,
// under the service's own policy, and checks them with nothing but the
// verifier key: the private key never leaves Vault, and a rotation of the
// transit key does not break the verifier key a running log publishes.
func TestCheckpointSigner(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	p := provider(t, v, v.ServiceToken)
	log, db, vkey := signedLog(t, p, origin)
	if !strings.HasPrefix(vkey, origin+"+") {
		t.Fatalf("verifier key %q, want one for %s", vkey, origin)
	}
	for i := range 3 {
		if _, err := db.AppendAudit(ctx, candour.AuditEntry{Action: candour.ActionAuditRead, Outcome: candour.OutcomeOK,
			RequestID: strings.Repeat("r", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil || !strings.HasPrefix(n.Text, origin+"\n3\n") {
		t.Fatalf("the checkpoint %q does not open with the verifier key: %v", signed, err)
	}

	// A rotation of the transit key: the running signer keeps its version,
	// so its next checkpoint still verifies; a new signer has a new key.
	if _, err := v.Root().Logical().Write("transit/keys/candour-audit/rotate", nil); err != nil {
		t.Fatal(err)
	}
	db.AppendAudit(ctx, candour.AuditEntry{Action: candour.ActionAuditRead, Outcome: candour.OutcomeOK, RequestID: "after"})
	signed, err = log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(verifier)); err != nil {
		t.Errorf("after a rotation the running signer's checkpoint does not verify: %v", err)
	}
	if _, vkey2, err := p.CheckpointSigner(ctx, "candour-audit", origin); err != nil || vkey2 == vkey {
		t.Errorf("a signer made after the rotation: %v, same key %v", err, vkey2 == vkey)
	}

	// The wrong signer for a verifier key is refused.
	other, _, err := audit.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	otherSigner, _ := note.NewSigner(other)
	if _, err := audit.NewSignedLog(db, otherSigner, vkey); err == nil {
		t.Error("a log was made with a signer its verifier key does not name")
	}

	// The service can sign but not take the key out, and only an Ed25519
	// key is accepted.
	svc := v.Root()
	svc.SetToken(v.ServiceToken)
	defer svc.SetToken(v.RootToken)
	if _, err := svc.Logical().Read("transit/export/signing-key/candour-audit"); err == nil {
		t.Error("the service token could export the checkpoint key")
	}
	root := provider(t, v, v.RootToken)
	if _, _, err := root.CheckpointSigner(ctx, "candour-kek", origin); err == nil || !strings.Contains(err.Error(), "ed25519") {
		t.Errorf("an AES key as the checkpoint key: %v, want a refusal naming ed25519", err)
	}
	if _, _, err := p.CheckpointSigner(ctx, "no-such-key", origin); err == nil {
		t.Error("a missing checkpoint key was accepted")
	}
}

// TestCheckpointSignerFailsClosed: with Vault sealed, no checkpoint is
// signed, and the log's latest checkpoint stays what it was.
func TestCheckpointSignerFailsClosed(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	log, db, _ := signedLog(t, provider(t, v, v.ServiceToken), origin)
	db.AppendAudit(ctx, candour.AuditEntry{Action: candour.ActionAuditRead, Outcome: candour.OutcomeOK, RequestID: "one"})
	first, err := log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v.Seal(t)
	db.AppendAudit(ctx, candour.AuditEntry{Action: candour.ActionAuditRead, Outcome: candour.OutcomeOK, RequestID: "two"})
	if _, err := log.Checkpoint(ctx); err == nil {
		t.Error("a checkpoint was signed with Vault sealed")
	}
	if latest, err := log.Latest(ctx); err != nil || string(latest) != string(first) {
		t.Errorf("the latest checkpoint changed with Vault sealed: %v", err)
	}
	v.Unseal(t)
	if _, err := log.Checkpoint(ctx); err != nil {
		t.Errorf("after unsealing: %v", err)
	}
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os/user"
	"time"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
)

// Actions of operator commands, which the audit log records like API actions.
const (
	actionAuditExport   candour.Action = "audit.export"
	actionSchemaMigrate candour.Action = "schema.migrate"
)

// operatorFlag adds --operator: who runs an operator command, as the audit
// log names them (the login name by default).
func operatorFlag(fs *flag.FlagSet) *string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return fs.String("operator", name, "who runs this command, as the audit log names them")
}

// operatorEntry is the audit entry of an operator command: the actor is the
// operator (issuer candour-cli), and the decision, which no policy takes
// (the operator holds the database's or the key provider's credentials), is
// named as the operator's own, with its own id, so that every entry names a
// decision. query describes what was done (its digest is kept).
func operatorEntry(operator string, a candour.Action, query string, outcome string) candour.AuditEntry {
	sum := sha256.Sum256([]byte(string(a) + "\x00" + query))
	return candour.AuditEntry{Time: time.Now().UTC().Truncate(time.Microsecond),
		Actor:  candour.Principal{Issuer: "candour-cli", Subject: operator},
		Action: a, Query: hex.EncodeToString(sum[:]), Outcome: outcome, Flag: "operator_command",
		Decision: candour.AuditDecision{ID: "operator-" + uuid.NewString(), Revision: "operator: database or key-provider credentials", Allow: true}}
}

// auditOperator appends an operator command's entry; a failure fails the
// command, as a failed audit write fails a request.
func auditOperator(ctx context.Context, log candour.AuditLog, e candour.AuditEntry) error {
	if _, err := log.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("the audit log could not record this command, so it did not run to its end: %w", err)
	}
	return nil
}

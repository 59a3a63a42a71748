package main

import (
	"context"
	"testing"

	"github.com/candour-vault/candour"
)

// operatorEntries returns the audit entries of an action in a database, as
// an auditor would read them.
func operatorEntries(t *testing.T, database string, a candour.Action) []candour.AuditEntry {
	t.Helper()
	ctx := context.Background()
	db, closeDB, err := openStore(ctx, database, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	leaves, err := db.AuditEntries(candour.WithAgencies(ctx), candour.AuditFilter{After: -1, Limit: 100000, Action: a})
	if err != nil {
		t.Fatal(err)
	}
	var out []candour.AuditEntry
	for _, l := range leaves {
		e, err := candour.ParseAuditLeaf(l.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// checkOperatorEntry checks that an operator command left one entry of its
// action, naming the operator and a decision.
func checkOperatorEntry(t *testing.T, database string, a candour.Action, operator string) {
	t.Helper()
	es := operatorEntries(t, database, a)
	if len(es) != 1 || es[0].Actor.Subject != operator || es[0].Actor.Issuer != "candour-cli" || es[0].Decision.ID == "" ||
		es[0].Flag != "operator_command" {
		t.Errorf("%s: audit entries %+v; want one by %s with a decision", a, es, operator)
	}
}

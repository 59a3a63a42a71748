package candour

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAuditEntryBounds(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%036d", i)
		}
		return out
	}
	base := AuditEntry{Time: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Actor: Principal{Issuer: "i", Subject: "s"},
		Action: ActionSubjectErase, Outcome: OutcomeOK}
	tests := []struct {
		name    string
		edit    func(*AuditEntry)
		ok      bool
		entries int // Split's entries
	}{
		{"no records", func(*AuditEntry) {}, true, 1},
		{"the most records", func(e *AuditEntry) { e.Records = ids(MaxAuditRecords) }, true, 1},
		{"one record too many", func(e *AuditEntry) { e.Records = ids(MaxAuditRecords + 1) }, false, 2},
		{"many records", func(e *AuditEntry) { e.Records = ids(3*MaxAuditRecords + 1) }, false, 4},
		{"too long", func(e *AuditEntry) { e.Flag = strings.Repeat("x", MaxAuditLeafBytes) }, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.edit(&e)
			if _, err := e.MarshalLeaf(); (err == nil) != tt.ok {
				t.Errorf("MarshalLeaf: %v, want ok %v", err, tt.ok)
			}
			parts := e.Split()
			var all []string
			for _, p := range parts {
				if len(p.Records) > MaxAuditRecords || p.Action != e.Action {
					t.Errorf("a part of %d records, action %s", len(p.Records), p.Action)
				}
				all = append(all, p.Records...)
			}
			if len(parts) != tt.entries || strings.Join(all, ",") != strings.Join(e.Records, ",") {
				t.Errorf("Split: %d entries naming %d records; want %d naming all %d", len(parts), len(all), tt.entries, len(e.Records))
			}
		})
	}
}

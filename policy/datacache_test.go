package policy

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestDataCacheGet holds the shared data cache to what OPA's store would give
// for each reference: the value at a path the data holds, nil (a miss, so OPA
// reads its store) for anything else.
func TestDataCacheGet(t *testing.T) {
	c := dataCache{ast.MustParseTerm(`{"defaults": {"min_cell_size": 10}, "roles": {"analyst": {"purposes": ["research"]}}, "list": ["a", "b"]}`).Value}
	for _, tc := range []struct {
		ref  string
		want string // "" for a miss
	}{
		{"data.defaults.min_cell_size", "10"},
		{"data.defaults", `{"min_cell_size": 10}`},
		{"data.roles.analyst.purposes", `["research"]`},
		{`data.roles["analyst"].purposes`, `["research"]`},
		{"data.list[1]", `"b"`},
		{"data.list[2]", ""},
		{"data.roles.admin", ""},
		{"data.defaults.min_cell_size.x", ""},
		{"data", ""},        // the root merges rules and data: OPA's own path
		{"input.roles", ""}, // not the data
		{"data.candour.decision", ""},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got := c.Get(ast.MustParseRef(tc.ref))
			if tc.want == "" {
				if got != nil {
					t.Fatalf("Get(%s) = %v, want a miss", tc.ref, got)
				}
				return
			}
			if want := ast.MustParseTerm(tc.want).Value; got == nil || got.Compare(want) != 0 {
				t.Fatalf("Get(%s) = %v, want %v", tc.ref, got, want)
			}
		})
	}
}

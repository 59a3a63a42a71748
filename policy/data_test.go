package policy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/candour-vault/candour/policy"
)

func TestCheckData(t *testing.T) {
	files, err := policy.ReadFiles(policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	if probs := policy.CheckData(files); len(probs) != 0 {
		t.Fatalf("the embedded data has problems: %v", probs)
	}
	tests := []struct {
		name string
		edit func(d map[string]any)
		want string
	}{
		{"unknown owner", func(d map[string]any) { agreement(d)["owner"] = "nowhere" }, `owner "nowhere" is not a known agency`},
		{"owner as partner", func(d map[string]any) { agreement(d)["partners"] = []any{"victim-support-north"} }, "other than the owner"},
		{"bad purpose", func(d map[string]any) { agreement(d)["purposes"] = []any{"marketing"} }, `"marketing" is not a purpose`},
		{"special purpose outside agreement", func(d map[string]any) { agreement(d)["special_category_purposes"] = []any{"research"} }, "not among the agreement's purposes"},
		{"bad date", func(d map[string]any) { agreement(d)["expires"] = "next year" }, "RFC 3339"},
		{"expires before start", func(d map[string]any) { agreement(d)["expires"] = "2025-01-01T00:00:00Z" }, "expires must be after start"},
		{"small cells", func(d map[string]any) { agreement(d)["min_cell_size"] = 3 }, "below the default"},
		{"bad data item", func(d map[string]any) { agreement(d)["data_items"] = []any{"names"} }, `"names"`},
		{"service of unknown agency", func(d map[string]any) {
			d["services"].(map[string]any)["x/y"] = map[string]any{"agency": "nowhere"}
		}, "unknown agency"},
		{"role missing", func(d map[string]any) { delete(d["roles"].(map[string]any), "auditor") }, "roles.auditor is missing"},
		{"unknown role purpose", func(d map[string]any) {
			d["roles"].(map[string]any)["analyst"] = map[string]any{"purposes": []any{"gossip"}}
		}, `unknown purpose "gossip"`},
		{"wrong shape", func(d map[string]any) { d["agreements"] = "none" }, "expected shape"},
		{"retention rule of unknown agency", func(d map[string]any) { rule(d, 0)["agency"] = "nowhere" }, `agency "nowhere" is not a known agency`},
		{"retention rule of another agency's service", func(d map[string]any) { rule(d, 1)["service"] = "police/investigation" }, "not one of the agency's services"},
		{"retention rule with bad sensitivity", func(d map[string]any) { rule(d, 1)["sensitivity"] = "secret" }, `sensitivity "secret"`},
		{"retention rule of no months", func(d map[string]any) { rule(d, 0)["months"] = 0 }, "months must be between 1 and 1200"},
		{"retention rule id twice", func(d map[string]any) { rule(d, 1)["id"] = rule(d, 0)["id"] }, "the id is used twice"},
		{"retention rules overlap", func(d map[string]any) { delete(rule(d, 1), "sensitivity") }, "covers the same records as vs-24m"},
		{"agency without retention", func(d map[string]any) { rule(d, 0)["sensitivity"] = "standard" }, "agency victim-support-north has no rule of its own"},
		{"no consent grace", func(d map[string]any) { delete(d["retention"].(map[string]any), "consent_grace_days") }, "consent_grace_days is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := files
			f.Data = clone(t, files.Data)
			tt.edit(f.Data)
			probs := policy.CheckData(f)
			if !strings.Contains(strings.Join(probs, "\n"), tt.want) {
				t.Errorf("problems %q, want one containing %q", probs, tt.want)
			}
		})
	}
}

func rule(d map[string]any, i int) map[string]any {
	return d["retention"].(map[string]any)["rules"].([]any)[i].(map[string]any)
}

func agreement(d map[string]any) map[string]any {
	return d["agreements"].([]any)[0].(map[string]any)
}

func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestCatalogue(t *testing.T) {
	e, err := policy.Load(context.Background(), policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	c := e.Catalogue()
	vs, ok := c.Agency("victim-support-north")
	if !ok || vs.Name == "" || !slices.Equal(vs.Partners, []string{"council-north-social-care", "police-north"}) {
		t.Errorf("victim-support-north: %+v, %v", vs, ok)
	}
	if h, _ := c.Agency("housing-north"); len(h.Partners) != 0 {
		t.Errorf("housing-north has no agreement, but partners %v", h.Partners)
	}
	services := c.ServicesOf("police-north")
	if len(services) != 3 || services[0].Name == "" {
		t.Errorf("police-north's services: %+v", services)
	}
	if _, ok := c.Service("police/made-up"); ok {
		t.Error("a service the data does not name was found")
	}
}

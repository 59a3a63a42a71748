package api_test

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes holds openapi.json to the routes the server
// registers: every route is documented with its method, and every documented
// path is served.
func TestOpenAPICoversRoutes(t *testing.T) {
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, m := range regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) ([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		routes[strings.ToLower(m[1])+" "+m[2]] = true
	}
	var doc struct {
		Paths map[string]map[string]any
	}
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("openapi.json and the routes differ:\n routes not documented: %v\n documented, not served: %v", missing, extra)
	}
	if len(routes) < 18 {
		t.Errorf("found only %d routes in server.go; the test reads them wrongly", len(routes))
	}
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/openapi.json", "", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"openapi": "3.1.0"`) {
		t.Errorf("GET /openapi.json: %d", resp.StatusCode)
	}
}

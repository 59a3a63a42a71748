package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
)

// TestOpenAPIValidates checks openapi.json with kin-openapi, then sends a
// request to every operation of a running server (and the usual errors),
// and validates each request and each response against the document.
func TestOpenAPIValidates(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	e := newEnv(t)
	doc.Servers = openapi3.Servers{{URL: e.url}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	cws := e.caseworkers(t, "victim-support-north", 12)
	for i := range 24 {
		e.submit(t, cws[i%12], sharedBody(1+i%5, "2026-09"))
	}
	e.release(t)
	cw, admin, auditor := cws[0], e.token(t, candour.RoleAdmin, "victim-support-north"), e.token(t, candour.RoleAuditor, "victim-support-north")
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, validBody)
	var rc candour.Receipt
	json.Unmarshal(body, &rc)
	if resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	fresh := func() string {
		_, b := e.do(t, "POST", "/v1/feedback", cw, jsonCT, validBody)
		var r candour.Receipt
		json.Unmarshal(b, &r)
		return r.ID
	}
	e.do(t, "POST", "/v1/audit/checkpoint", auditor, nil, "")
	analysis := map[string]string{"Candour-Purpose": "service_improvement"}
	caseMgmt := map[string]string{"Candour-Purpose": "case_management"}
	caseMgmtJSON := map[string]string{"Candour-Purpose": "case_management", "Content-Type": "application/json"}
	cases := []struct {
		method, path, token string
		header              map[string]string
		body                string
		status              int
	}{
		{"POST", "/v1/feedback", cw, jsonCT, validBody, 201},
		{"POST", "/v1/feedback", cw, jsonCT, `{"service":"x"}`, 400},
		{"POST", "/v1/feedback", cw, map[string]string{"Content-Type": "text/plain"}, "hello", 415},
		{"POST", "/v1/feedback", "", jsonCT, validBody, 401},
		{"GET", "/v1/feedback/" + rc.ID, cw, map[string]string{"Candour-Purpose": "case_management"}, "", 200},
		{"GET", "/v1/feedback/" + rc.ID, partner, map[string]string{"Candour-Purpose": "case_management"}, "", 404},
		{"GET", "/v1/feedback?mine=true&limit=5", cw, caseMgmt, "", 200},
		{"GET", "/v1/feedback?subject_ref=VS-2026-000999", cw, caseMgmt, "", 400},
		{"GET", "/v1/feedback", partner, caseMgmt, "", 403},
		{"POST", "/v1/feedback/search", cw, caseMgmtJSON, `{"subject_ref":"VS-2026-000999","limit":5}`, 200},
		{"POST", "/v1/feedback/search", cw, caseMgmtJSON, `{"subject_ref":"VS-2026-000999","colour":"red"}`, 400},
		{"POST", "/v1/feedback/" + fresh() + "/withdraw", cw, nil, "", 200},
		{"PATCH", "/v1/feedback/" + rc.ID, cw, caseMgmtJSON, `{"comment":"Corrected.","consent":{"share_with":[]}}`, 200},
		{"PATCH", "/v1/feedback/" + rc.ID, cw, caseMgmtJSON, `{"consent":{"purposes":["research"]}}`, 400},
		{"PATCH", "/v1/feedback/" + rc.ID, partner, caseMgmtJSON, `{"comment":"x"}`, 404},
		{"POST", "/v1/subjects/erase/preview", admin, jsonCT, `{"subject_ref":"VS-2026-000999"}`, 200},
		{"POST", "/v1/subjects/erase/preview", cw, jsonCT, `{"subject_ref":"VS-2026-000999"}`, 403},
		{"POST", "/v1/subjects/access", admin, jsonCT, `{"subject_ref":"VS-2026-000123"}`, 200},
		{"POST", "/v1/subjects/access", admin, jsonCT, `{"subject_ref":"VS-2026-000123","recipient":"age1tnjp65rdjv9p6363x8l4n766gkr807xkyqea7529zrs2kzsavf9sckjt0y"}`, 200},
		{"POST", "/v1/subjects/access", admin, jsonCT, `{"subject_ref":"VS-2026-000123","recipient":"not-a-key"}`, 400},
		{"POST", "/v1/holds", admin, jsonCT, `{"subject_ref":"VS-2026-000123","reason":"Claim 2026/114","review_by":"2030-01-01T00:00:00Z"}`, 201},
		{"POST", "/v1/holds", admin, jsonCT, `{"reason":"","review_by":"2030-01-01T00:00:00Z"}`, 400},
		{"GET", "/v1/holds", admin, nil, "", 200},
		{"POST", "/v1/invitations", cw, jsonCT, `{"service":"victim-support/initial-contact","touchpoint":"first-contact","channel":"phone","period":"2026-09","subject_ref":"VS-2026-000123"}`, 201},
		{"POST", "/v1/invitations", admin, jsonCT, `{"service":"victim-support/initial-contact","period":"2026-09","count":3}`, 201},
		{"POST", "/v1/invitations", cw, jsonCT, `{"service":"victim-support/initial-contact","period":"2026-09","count":3}`, 403},
		{"POST", "/v1/invitations", cw, jsonCT, `{"service":"victim-support/initial-contact","period":"2026-13"}`, 400},
		{"GET", "/v1/holds", cw, nil, "", 403},
		{"POST", "/v1/holds/" + rc.ID + "/release", admin, nil, "", 404},
		{"GET", "/v1/retention", admin, nil, "", 200},
		{"GET", "/v1/retention", partner, nil, "", 403},
		{"POST", "/v1/subjects/erase", admin, jsonCT, `{"subject_ref":"VS-2026-000999"}`, 200},
		{"GET", "/v1/insights/summary?group_by=service,period", partner, analysis, "", 200},
		{"GET", "/v1/insights/summary?group_by=colour", partner, analysis, "", 400},
		{"GET", "/v1/insights/summary", cw, analysis, "", 403},
		{"GET", "/v1/insights/comments?page=1", partner, analysis, "", 200},
		{"GET", "/v1/insights/export?format=csv", partner, analysis, "", 200},
		{"GET", "/v1/audit/entries?limit=5", auditor, nil, "", 200},
		{"GET", "/v1/audit/checkpoint", auditor, nil, "", 200},
		{"POST", "/v1/audit/checkpoint", auditor, nil, "", 200},
		{"GET", "/v1/audit/verifier-key", "", nil, "", 200},
		{"GET", "/v1/audit/proof/inclusion?seq=0&size=2", auditor, nil, "", 200},
		{"GET", "/v1/audit/proof/consistency?old=1&new=2", auditor, nil, "", 200},
		{"GET", "/livez", "", nil, "", 200},
		{"GET", "/readyz", "", nil, "", 200},
		{"GET", "/openapi.json", "", nil, "", 200},
		{"GET", "/.well-known/jwks.json", "", nil, "", 200},
	}
	seen := map[string]bool{}
	for _, tt := range cases {
		t.Run(fmt.Sprintf("%s %s %d", tt.method, strings.SplitN(tt.path, "?", 2)[0], tt.status), func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.url+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no operation in the document: %v", err)
			}
			seen[strings.ToUpper(route.Method)+" "+route.Path] = true
			opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if tt.status < 400 {
				check := req.Clone(ctx)
				check.Body = io.NopCloser(strings.NewReader(tt.body))
				in.Request = check
				if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
					t.Errorf("the request does not fit the document: %v", err)
				}
				in.Request = req
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, got)
			}
			if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
				Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(got)), Options: opts}); err != nil {
				t.Errorf("the response does not fit the document: %v", err)
			}
		})
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if op := method + " " + path; !seen[op] && op != "GET /metrics" {
				t.Errorf("%s is documented but not exercised here", op)
			}
		}
	}
	// Single-record operations never document 403: a refusal there is 404.
	for _, op := range []*openapi3.Operation{doc.Paths.Find("/v1/feedback/{id}").Get, doc.Paths.Find("/v1/feedback/{id}/withdraw").Post} {
		if op.Responses.Status(403) != nil {
			t.Errorf("%s documents 403; a single record is 404 when refused", op.Summary)
		}
	}
	// The JWKS path is served, and documented, only with the dev issuer.
	srv := api.New(api.Config{})
	w := &recorder{header: http.Header{}}
	srv.ServeHTTP(w, httptestRequest("GET", "/openapi.json"))
	if strings.Contains(w.body.String(), "jwks") {
		t.Error("a server without the dev issuer documents its JWKS path")
	}
}

// recorder is a minimal ResponseWriter for calling a handler directly.
type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func httptestRequest(method, path string) *http.Request {
	req, _ := http.NewRequest(method, "http://candour.test"+path, nil)
	return req
}

package insight_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/apitest"
)

// The agencies of the attack: the analyst works for police-north, which
// victim-support-north shares insight with; the targets are victim-support
// records shared with police.
const (
	ownAgency     = "police-north"
	sharingAgency = "victim-support-north"
)

// server is a running Candour (apitest): the real HTTP API over SQLite, the
// local keyring and the embedded policy. The attacker only ever uses its
// HTTP API; honest background records are stored through the feedback
// service directly, which is the same path without the HTTP round trip.
type server struct {
	*apitest.Server
	t *testing.T
}

func newServer(t *testing.T) *server { return &server{Server: apitest.Start(t), t: t} }

func (s *server) token(sub string, role candour.Role, agency string) string {
	s.t.Helper()
	return s.Token(s.t, sub, role, agency)
}

// release releases every month that has ended (embargo zero).
func (s *server) release() { s.t.Helper(); s.Release(s.t) }

// person is one feedback record's content, as the test builds it.
type person struct {
	service, touchpoint, period string
	satisfaction                int
	feltSafe                    string
	comment                     string
}

func (p person) feedback() candour.Feedback {
	sat := p.satisfaction
	return candour.Feedback{Service: p.service, Touchpoint: p.touchpoint, Channel: "phone", Period: p.period,
		Ratings: candour.Ratings{Satisfaction: &sat, FeltSafe: p.feltSafe}, Comment: p.comment,
		Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
			ShareWith: []string{ownAgency}, Method: "verbal", NoticeVersion: "2026-01"}}
}

// honest stores a record of the sharing agency recorded by an honest
// caseworker, through the feedback service; it returns the record's id.
func (s *server) honest(caseworker string, p person) string {
	s.t.Helper()
	c := candour.Caller{Principal: candour.Principal{Issuer: api.DevIssuer, Subject: caseworker, Agency: sharingAgency,
		Roles: []candour.Role{candour.RoleCaseworker}}}
	rc, err := s.Feedback.Submit(context.Background(), c, p.feedback(), candour.Idempotency{})
	if err != nil {
		s.t.Fatal(err)
	}
	return rc.ID
}

// do sends one request as the attacker would and decodes a 2xx JSON answer
// into out; it returns the status.
func (s *server) do(method, path, token string, body any, header map[string]string, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// body is p as a caseworker's API client sends it.
func (p person) body() map[string]any {
	b := map[string]any{"service": p.service, "touchpoint": p.touchpoint, "channel": "phone", "period": p.period,
		"ratings": map[string]any{"satisfaction": p.satisfaction, "felt_safe": p.feltSafe},
		"consent": map[string]any{"purposes": []string{"service_improvement", "inter_agency_insight"},
			"share_with": []string{ownAgency}, "method": "verbal", "notice_version": "2026-01"}}
	if p.comment != "" {
		b["comment"] = p.comment
	}
	return b
}

// plant submits a record through the HTTP API with a caseworker token, as
// the attacker's colleague would; it returns the id.
func (s *server) plant(token string, p person) string {
	s.t.Helper()
	var rc candour.Receipt
	if st := s.do("POST", "/v1/feedback", token, p.body(), nil, &rc); st != 201 {
		s.t.Fatalf("plant: status %d", st)
	}
	return rc.ID
}

func (s *server) withdraw(token, id string) {
	s.t.Helper()
	if st := s.do("POST", "/v1/feedback/"+id+"/withdraw", token, nil, nil, nil); st != 200 {
		s.t.Fatalf("withdraw: status %d", st)
	}
}

// cell is a published summary cell as the attacker reads it.
type cell map[string]any

func (c cell) num(k string) (float64, bool) {
	v, ok := c[k].(float64)
	return v, ok
}

// summary asks for a summary as the analyst, for service improvement.
func (s *server) summary(analyst string, q url.Values) []cell {
	s.t.Helper()
	var out struct{ Cells []cell }
	if st := s.do("GET", "/v1/insights/summary?"+q.Encode(), analyst, nil, map[string]string{"Candour-Purpose": "service_improvement"}, &out); st != 200 {
		s.t.Fatalf("summary %s: status %d", q.Encode(), st)
	}
	return out.Cells
}

// comments asks for every page of comments as the analyst.
func (s *server) comments(analyst string, q url.Values) []candour.CommentGroup {
	s.t.Helper()
	var groups []candour.CommentGroup
	for page := 1; ; page++ {
		q.Set("page", fmt.Sprint(page))
		var out candour.InsightComments
		if st := s.do("GET", "/v1/insights/comments?"+q.Encode(), analyst, nil, map[string]string{"Candour-Purpose": "service_improvement"}, &out); st != 200 {
			s.t.Fatalf("comments: status %d", st)
		}
		groups = append(groups, out.Groups...)
		if !out.More {
			return groups
		}
	}
}

// outcome is an attack's measured success against its chance baseline.
type outcome struct {
	name    string
	hits    float64 // successes (or summed success probabilities)
	chance  float64 // summed chance probabilities
	trials  int
	variant string
}

func (o *outcome) add(hit bool, chance float64) {
	o.trials++
	o.chance += chance
	if hit {
		o.hits++
	}
}

// check reports the rate beside its chance baseline, and fails the test when
// the attack beats chance by more than three and a half standard errors of
// its trial count (a false alarm about one check in 4,300, so that the
// dozen checks of the suite raise one about once in 360 runs).
func (o outcome) check(t *testing.T) {
	t.Helper()
	if o.trials < 200 {
		t.Fatalf("%s: %d trials, want at least 200", o.name, o.trials)
	}
	rate, base := o.hits/float64(o.trials), o.chance/float64(o.trials)
	bound := 3.5 * math.Sqrt(max(base*(1-base), 0.25/float64(o.trials))/float64(o.trials))
	t.Logf("%-58s success %.3f, chance %.3f (+%.3f allowed), %d trials", o.name, rate, base, bound, o.trials)
	if rate > base+bound {
		t.Errorf("%s beats chance: %.3f against %.3f over %d trials", o.name, rate, base, o.trials)
	}
}

// coin returns a secret-random bit, for the trials' hidden values.
func coin() bool { return randN(2) == 0 }

func randN(n int) int {
	var b [8]byte
	rand.Read(b[:])
	return int(binary.BigEndian.Uint64(b[:]) % uint64(n))
}

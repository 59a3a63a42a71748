package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/web"
)

var linkPattern = regexp.MustCompile(`id="link-1">([^<]+)<`)

// invite makes a feedback link on the invitation page as the signed-in
// person of b, and returns its path (/f/…).
func (b *browser) invite(form url.Values) string {
	b.t.Helper()
	resp, body := b.post("/invitations", form)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("make a link: %d\n%s", resp.StatusCode, body)
	}
	m := linkPattern.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no link on the page:\n%s", body)
	}
	if !strings.Contains(body, `<svg role="img"`) {
		b.t.Error("no QR code on the page")
	}
	u, err := url.Parse(m[1])
	if err != nil || !strings.HasPrefix(u.Path, "/f/") || u.Host == "" {
		b.t.Fatalf("link %q", m[1])
	}
	return u.Path
}

func linkForm() url.Values {
	return url.Values{"service": {"victim-support/initial-contact"}, "touchpoint": {"first-contact"}, "channel": {"phone"},
		"period-month": {"11"}, "period-year": {"2026"}, "sensitivity": {"standard"}, "subject-ref": {"VS-2026-777"}}
}

var receiptPattern = regexp.MustCompile(`id="receipt-code">([a-z-]+)<`)

// TestCitizenPages follows a link over HTTP: made by a caseworker,
// answered by the person (with a language switch and each form error on
// the way), used up, and taken back with the receipt. It checks that the
// public pages set no cookie, that an unknown and a used link show the
// same page, and that no log line or audit entry holds the token, the
// receipt, the comment or the client's address.
func TestCitizenPages(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	path := cw.invite(linkForm())
	token := strings.TrimPrefix(path, "/f/")
	if _, body := cw.get("/invitations"); !strings.Contains(body, "Waiting") {
		t.Error("the list does not show the new link waiting")
	}

	person := e.browser(t)
	resp, body := person.get(path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<html lang="en"`) || !strings.Contains(body, "Exit this page") {
		t.Fatalf("start page: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "Do not give real feedback here") {
		t.Error("the dev server's public page does not say it is not for real feedback")
	}
	if !strings.Contains(body, "<title>Tell us how it went</title>") {
		t.Error("the start page's title repeats or lacks the service name")
	}
	if !strings.Contains(body, "Victim Support North has asked you") || !strings.Contains(body, "November 2026") ||
		!strings.Contains(body, "kept with your case") {
		t.Errorf("start page does not say who asks about what:\n%s", body)
	}
	steps := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"no consent", url.Values{"lang": {"en"}, "step": {"consent"}}, 400, []string{"There is a problem", "Choose at least one thing"}},
		{"a purpose not offered", url.Values{"lang": {"en"}, "step": {"consent"}, "purpose": {"contact_back"}}, 400, []string{"Choose at least one thing"}},
		{"consent", url.Values{"lang": {"en"}, "step": {"consent"}, "purpose": {"service_improvement", "inter_agency_insight"}}, 200, []string{"Your feedback", "Overall, how was it?"}},
		{"nothing answered", url.Values{"lang": {"en"}, "step": {"answers"}, "purpose": {"service_improvement"}, "send": {"1"}}, 400, []string{"Answer at least one question"}},
		{"an answer not offered", url.Values{"lang": {"en"}, "step": {"answers"}, "purpose": {"service_improvement"}, "overall": {"9"}, "send": {"1"}}, 400, []string{"Choose one of the answers given"}},
		{"switch to Welsh keeps the answers", url.Values{"lang": {"en"}, "step": {"answers"}, "purpose": {"service_improvement"}, "overall": {"2"},
			"comment": {"Nobody rang me back"}, "switch": {"cy"}}, 200, []string{`<html lang="cy"`, "Eich adborth", "Nobody rang me back", `value="2" checked`}},
		{"back keeps the answers", url.Values{"lang": {"cy"}, "step": {"answers"}, "purpose": {"service_improvement"}, "comment": {"Nobody rang me back"}, "back": {"1"}},
			200, []string{"Ar gyfer beth y gallwn ddefnyddio eich adborth?", `name="comment" value="Nobody rang me back"`}},
	}
	for _, s := range steps {
		resp, body := person.post(path, s.form)
		if resp.StatusCode != s.status {
			t.Errorf("%s: %d, want %d", s.name, resp.StatusCode, s.status)
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", s.name, w)
			}
		}
	}
	resp, body = person.post(path, url.Values{"lang": {"cy"}, "step": {"answers"}, "purpose": {"service_improvement", "inter_agency_insight"},
		"overall": {"2"}, "safe": {"partly"}, "comment": {"Nobody rang me back"}, "send": {"1"}})
	m := receiptPattern.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "Diolch") {
		t.Fatalf("send: %d\n%s", resp.StatusCode, body)
	}
	receipt := m[1]

	// The link works once; used and unknown look the same.
	_, unknown := person.get("/f/" + strings.Repeat("a", 32))
	for _, p := range []string{path, path + "?lang=en"} {
		resp, used := person.get(p)
		// (the language switch links to the page's own address)
		used = strings.ReplaceAll(used, token, strings.Repeat("a", 32))
		if resp.StatusCode != http.StatusNotFound || used != unknown {
			t.Errorf("%s after use: %d, want the unknown link's page", p, resp.StatusCode)
		}
	}
	if resp, _ := person.post(path, url.Values{"step": {"answers"}, "purpose": {"service_improvement"}, "overall": {"5"}, "send": {"1"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a replayed submission: %d, want 404", resp.StatusCode)
	}
	list, err := e.feedback.List(context.Background(), caller("victim-support-north"), candour.ListQuery{})
	if err != nil || len(list.Records) != 1 {
		t.Fatalf("records after a replay: %v %v, want the one", list.Records, err)
	}
	if _, body := cw.get("/records"); !strings.Contains(body, "by the person, through a feedback link") {
		t.Error("the list does not say the person gave it")
	}
	if resp, _ := cw.get("/records/" + list.Records[0].ID); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a caseworker opened the person's own words: %d, want 404", resp.StatusCode)
	}

	// Withdraw with the receipt.
	if resp, body := person.get("/withdraw?lang=cy"); resp.StatusCode != 200 || !strings.Contains(body, "Tynnu eich adborth yn ôl") {
		t.Errorf("withdraw page in Welsh: %d", resp.StatusCode)
	}
	for _, tt := range []struct {
		code   string
		status int
		want   string
	}{
		{"one two three", 400, "Type the 5 words"},
		{"apple apple apple apple apple", 400, "We could not find feedback"},
		{strings.ToUpper(strings.ReplaceAll(receipt, "-", " ")), 200, "Your feedback has been taken back"},
		{receipt, 200, "had already been taken back"},
	} {
		resp, body := person.post("/withdraw", url.Values{"lang": {"en"}, "code": {tt.code}})
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("withdraw %q: %d, want %d and %q", tt.code, resp.StatusCode, tt.status, tt.want)
		}
	}
	if list, _ := e.feedback.List(context.Background(), caller("victim-support-north"), candour.ListQuery{}); !list.Records[0].Withdrawn {
		t.Error("the record was not withdrawn")
	}

	// Nothing that identifies the person, their words, their link or their
	// receipt in a log line or the audit log. (The receipt as a whole: each of
	// its words alone is a common word that a log line may hold by chance.)
	leaves, err := e.db.AuditEntries(candour.WithAgencies(context.Background(), "victim-support-north"), candour.AuditFilter{After: -1, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, l := range leaves {
		all.Write(l.Leaf)
	}
	for where, text := range map[string]string{"logs": e.logs.String(), "audit log": all.String()} {
		for _, secret := range []string{token, "127.0.0.1", "::1", "Nobody rang me back", "VS-2026-777", receipt, strings.ReplaceAll(receipt, "-", " ")} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s hold %q", where, secret)
			}
		}
	}
}

// TestPublicPagesHeadersAndLimits: no cookie, the same strict headers as
// the staff pages, a cross-site form refused, a body over the limit
// refused with nothing stored, and each rate limit answered with its page.
func TestPublicPagesHeadersAndLimits(t *testing.T) {
	e := newEnvWith(t, func(c *web.Config, _ string) {
		c.PublicLimits = web.PublicLimits{PerClient: rate.Limit(0.001), ClientBurst: 12, PerKey: rate.Limit(0.001), KeyBurst: 4, MaxBody: 20 << 10}
	}, nil)
	cw := e.browser(t)
	cw.signIn(0)
	path := cw.invite(linkForm())
	person := e.browser(t)
	resp, _ := person.get(path)
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("the start page sets cookies: %v", c)
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader("step=consent&purpose=research"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://elsewhere.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site form: %v %v, want 403", resp.StatusCode, err)
	}
	resp, body := person.post(path, url.Values{"step": {"answers"}, "purpose": {"research"}, "comment": {strings.Repeat("x", 30<<10)}, "send": {"1"}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Nothing was kept") {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
	// The link's own limit: 4 requests with its token, one above (the
	// oversized form was refused before the link was looked at).
	for i := 2; i <= 5; i++ {
		resp, body = person.get(path)
		switch {
		case i <= 4 && resp.StatusCode != http.StatusOK:
			t.Errorf("request %d with the link: %d, want 200", i, resp.StatusCode)
		case i == 5 && (resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Please wait a minute")):
			t.Errorf("request %d with the link: %d, want the limit's page", i, resp.StatusCode)
		}
	}
	list, _ := e.feedback.List(context.Background(), caller("victim-support-north"), candour.ListQuery{})
	if len(list.Records) != 0 {
		t.Errorf("%d records stored, want none", len(list.Records))
	}
	// The client's own limit: 12 public requests, 6 made above; guessing
	// links (each another) stops after 6 more.
	n := 0
	for i := range 20 {
		if resp, _ := person.get("/f/" + strings.Repeat(string(rune('b'+i)), 32)); resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d guesses before the client's limit, want 6", n)
	}
}

// TestInvitationPageErrors: each error of the link form is a GOV.UK error
// summary that keeps what was typed; an administrator makes a batch, a
// caseworker one link whatever the form says.
func TestInvitationPageErrors(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	tests := []struct {
		name   string
		change url.Values
		want   string
	}{
		{"no service", url.Values{"service": {""}}, "Select the service the feedback is about"},
		{"another agency's service", url.Values{"service": {"police/victim-updates"}}, "Select the service the feedback is about"},
		{"future month", url.Values{"period-month": {"1"}, "period-year": {"2099"}}, "this month or earlier"},
		{"not a month", url.Values{"period-month": {"13"}}, "must be a real month"},
		{"long reference", url.Values{"subject-ref": {strings.Repeat("r", 129)}}, "128 characters or fewer"},
		{"no sensitivity", url.Values{"sensitivity": {""}}, "Select how sensitive"},
	}
	for _, tt := range tests {
		resp, body := cw.post("/invitations", merge(linkForm(), tt.change))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "govuk-error-summary") || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 400 with %q", tt.name, resp.StatusCode, tt.want)
		}
		if tt.name != "long reference" && !strings.Contains(body, `value="VS-2026-777"`) {
			t.Errorf("%s: the subject reference typed was not kept", tt.name)
		}
	}
	if _, body := cw.post("/invitations", merge(linkForm(), url.Values{"count": {"5"}})); strings.Count(body, `class="candour-qr"`) != 1 {
		t.Error("a caseworker's form made more than one link")
	}
	admin := e.browser(t)
	admin.signIn(4)
	batch := merge(linkForm(), url.Values{"subject-ref": {""}, "count": {"3"}})
	if _, body := admin.post("/invitations", batch); strings.Count(body, `class="candour-qr"`) != 3 {
		t.Error("an administrator's batch of 3 did not make 3 links")
	}
	for _, c := range []string{"0", "51", "x"} {
		if resp, body := admin.post("/invitations", merge(batch, url.Values{"count": {c}})); resp.StatusCode != 400 || !strings.Contains(body, "from 1 to 50") {
			t.Errorf("count %q: %d", c, resp.StatusCode)
		}
	}
	if _, body := admin.get("/invitations"); strings.Count(body, "Waiting") != 4 {
		t.Errorf("the administrator's list does not show the agency's 4 links")
	}
}

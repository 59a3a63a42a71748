package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"testing"
)

// TestAssets: every asset a page names is served under its hashed name,
// gzipped when asked for, and the same bytes either way.
func TestAssets(t *testing.T) {
	e := newEnv(t)
	_, page := e.browser(t).get("/sign-in")
	paths := regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(paths) != 3 {
		t.Fatalf("the page names %d assets, want the stylesheet and two scripts", len(paths))
	}
	for _, p := range paths {
		for _, tt := range []struct {
			accept string
			gzip   bool
		}{{"", false}, {"gzip, deflate, br", true}, {"br, gzip;q=0", false}} {
			req, _ := http.NewRequest("GET", e.url+p[1], nil)
			req.Header.Set("Accept-Encoding", tt.accept)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = resp.Body
			gz := resp.Header.Get("Content-Encoding") == "gzip"
			if gz {
				if r, err = gzip.NewReader(resp.Body); err != nil {
					t.Fatal(err)
				}
			}
			b, err := io.ReadAll(r)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || len(b) == 0 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%s (%q): %d, %d bytes, %v", p[1], tt.accept, resp.StatusCode, len(b), err)
			}
			if gz != tt.gzip && len(b) > 1000 {
				t.Errorf("%s with Accept-Encoding %q: gzipped %v", p[1], tt.accept, gz)
			}
		}
	}
	if resp, _ := e.browser(t).get("/assets/candour.000000000000.css"); resp.StatusCode != 404 {
		t.Errorf("an unknown asset: %d", resp.StatusCode)
	}
}

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// readLinks reads feedback links, one a line.
func readLinks(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var links []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			links = append(links, l)
		}
	}
	if len(links) == 0 && sc.Err() == nil {
		return nil, usageError{"--links: the file holds no links"}
	}
	return links, sc.Err()
}

// answerLinks answers link n as the person would on the form's last step
// (consent, ratings and a comment in one POST); -1 once every link is used.
func answerLinks(links []string) requester {
	return func(ctx context.Context, client *http.Client, n int64) int {
		if n >= int64(len(links)) {
			return -1
		}
		form := url.Values{"lang": {"en"}, "step": {"answers"}, "purpose": {"service_improvement", "research"},
			"overall": {fmt.Sprint(1 + n%5)}, "safe": {"yes"}, "believed": {"partly"}, "send": {"1"},
			"comment": {"The person who rang me back explained what happens next. I did not know who to ask about the letter; number " + fmt.Sprint(n) + "."}}
		req, err := http.NewRequestWithContext(ctx, "POST", links[n], strings.NewReader(form.Encode()))
		if err != nil {
			return 0
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if u, err := url.Parse(links[n]); err == nil {
			req.Header.Set("Origin", u.Scheme+"://"+u.Host)
		}
		req.Header.Set("X-Forwarded-For", fakeAddr(n))
		return do(client, req, "")
	}
}

// floodPublic asks base for links that do not exist, each request as if
// from another address.
func floodPublic(base string) requester {
	enc := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	return func(ctx context.Context, client *http.Client, n int64) int {
		token := make([]byte, 20)
		rand.Read(token)
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/f/"+enc.EncodeToString(token), nil)
		if err != nil {
			return 0
		}
		req.Header.Set("X-Forwarded-For", fakeAddr(n))
		return do(client, req, "")
	}
}

// fakeAddr is a documentation address (RFC 5737) for request n.
func fakeAddr(n int64) string { return fmt.Sprintf("198.51.%d.%d", (n/250)%250, n%250) }

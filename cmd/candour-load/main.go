// Command candour-load sends feedback submissions to a running server from
// several connections at once, for a set time, and prints the rate and the
// latency percentiles. It is how the figures in docs/benchmarks.md that
// compare Candour with a plain INSERT (candour-anchor) are measured:
//
//	candour-load --url http://127.0.0.1:8420/v1/feedback --token "$TOKEN" --connections 8 --duration 20s
//
// Each request carries a new Idempotency-Key and subject reference (none
// with --no-subject), and a comment of a realistic length. With --read N it
// first submits N records, then measures reading them back one by one (GET
// URL/ID, with the purpose case_management) instead. For the citizen channel, --links FILE sends the
// person's answers through each link of the file once (POST, as the form
// does), and --flood sends requests for links that do not exist, each as
// if from another address (X-Forwarded-For), to flood the public pages.
// Exit status is 0 when every request got a 2xx answer (with --flood: any
// answer below 500), 1 otherwise, 2 on bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "candour-load:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("candour-load", flag.ContinueOnError)
	url := fs.String("url", "", "the submission endpoint, e.g. http://127.0.0.1:8420/v1/feedback")
	token := fs.String("token", "", "a caseworker's bearer token (candour token); the anchor ignores it")
	conns := fs.Int("connections", 8, "requests in flight at once, each on its own connection")
	duration := fs.Duration("duration", 20*time.Second, "how long to send for, after the warm-up")
	warmup := fs.Duration("warmup", 3*time.Second, "how long to send before measuring")
	reads := fs.Int("read", 0, "submit this many records first, then measure reading them back")
	linksFile := fs.String("links", "", "a file of feedback links, one a line: answer each once through the public pages")
	flood := fs.Bool("flood", false, "flood the public pages at --url with requests for links that do not exist")
	perSecond := fs.Float64("rate", 0, "send at most this many requests a second, all connections together (0: as fast as answered)")
	noSubject := fs.Bool("no-subject", false, "submit records without a subject reference (each sealed under a key of its own)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	switch {
	case *url == "" && *linksFile == "":
		return usageError{"--url is required"}
	case *conns < 1 || *conns > 1024:
		return usageError{"--connections must be from 1 to 1024"}
	case *duration <= 0:
		return usageError{"--duration must be positive"}
	}
	var req requester
	switch {
	case *flood:
		req = floodPublic(*url)
	case *linksFile != "":
		links, err := readLinks(*linksFile)
		if err != nil {
			return err
		}
		req = answerLinks(links)
	case *reads > 0:
		ids, err := submitAll(*url, *token, *reads)
		if err != nil {
			return err
		}
		req = func(ctx context.Context, client *http.Client, n int64) int {
			return read(ctx, client, *url+"/"+ids[int(n)%len(ids)], *token)
		}
	default:
		run := fmt.Sprintf("%x", time.Now().UnixNano())
		req = func(ctx context.Context, client *http.Client, n int64) int {
			return send(ctx, client, *url, *token, run, n, body(n, !*noSubject))
		}
	}
	var pace *rate.Limiter
	if *perSecond > 0 {
		pace = rate.NewLimiter(rate.Limit(*perSecond), 1)
	}
	res := load(req, *conns, *warmup, *duration, pace)
	if *flood {
		fmt.Fprintf(stdout, "answers by status: %v\n", res.statuses)
		res = res.answered()
	}
	res.print(stdout, *conns, *duration)
	if res.failed > 0 {
		return fmt.Errorf("%d of %d requests failed", res.failed, res.failed+int64(len(res.latencies)))
	}
	return nil
}

// result is what the measured part of a run saw.
type result struct {
	latencies []time.Duration // of the requests that succeeded
	failed    int64
	statuses  map[int]int64 // failed requests by status (0: no answer)
	// others are the latencies of answers that were not 2xx.
	others []time.Duration
}

// answered counts every answer below 500 as a success: a flood's
// requests are meant to be refused.
func (r result) answered() result {
	r.latencies = append(r.latencies, r.others...)
	for s, c := range r.statuses {
		if s != 0 && s < 500 {
			r.failed -= c
			delete(r.statuses, s)
		}
	}
	return r
}

// submitAll submits n records one after another and returns their ids.
func submitAll(url, token string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	run := fmt.Sprintf("seed-%x", time.Now().UnixNano())
	for i := range n {
		req, err := http.NewRequest("POST", url, strings.NewReader(body(int64(i), true)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", run, i))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("submitting the records to read: %w", err)
		}
		var rc struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rc)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || err != nil || rc.ID == "" {
			return nil, fmt.Errorf("submitting the records to read: status %d", resp.StatusCode)
		}
		ids = append(ids, rc.ID)
	}
	return ids, nil
}

// requester sends request n and returns the answer's status (0 when no
// answer came, -1 when there is nothing left to send).
type requester func(ctx context.Context, client *http.Client, n int64) int

// load sends requests from conns connections for warmup and duration, at
// most as fast as pace allows when it is set (the wait is not part of a
// request's latency).
func load(req requester, conns int, warmup, duration time.Duration, pace *rate.Limiter) result {
	transport := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer transport.CloseIdleConnections()
	start := time.Now()
	measureFrom, stopAt := start.Add(warmup), start.Add(warmup+duration)
	ctx, cancel := context.WithDeadline(context.Background(), stopAt)
	defer cancel()
	var (
		mu   sync.Mutex
		all  result
		next atomic.Int64
		wg   sync.WaitGroup
	)
	all.statuses = map[int]int64{}
	for range conns {
		wg.Go(func() {
			var mine, others []time.Duration
			failed, statuses := int64(0), map[int]int64{}
			for ctx.Err() == nil {
				if pace != nil && pace.Wait(ctx) != nil {
					break // the next request would come after the run ends
				}
				n := next.Add(1) - 1
				t0 := time.Now()
				status := req(ctx, client, n)
				took := time.Since(t0)
				if status < 0 {
					break
				}
				if t0.Before(measureFrom) || ctx.Err() != nil {
					continue
				}
				switch {
				case status/100 == 2:
					mine = append(mine, took)
				case status != 0:
					others = append(others, took)
					fallthrough
				default:
					failed++
					statuses[status]++
				}
			}
			mu.Lock()
			all.latencies = append(all.latencies, mine...)
			all.others = append(all.others, others...)
			all.failed += failed
			for s, c := range statuses {
				all.statuses[s] += c
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// send posts submission n and returns the status (0 when no answer came).
func send(ctx context.Context, client *http.Client, url, token, run string, n int64, body string) int {
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d", run, n))
	return do(client, req, token)
}

// read gets one record and returns the status (0 when no answer came).
func read(ctx context.Context, client *http.Client, url, token string) int {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Candour-Purpose", "case_management")
	return do(client, req, token)
}

// do sends req with the token, reads the answer whole and returns its
// status (0 when no answer came).
func do(client *http.Client, req *http.Request, token string) int {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// body is submission n: the shape of a caseworker's record, with a comment
// of about 200 characters, and a subject reference when subject is set.
func body(n int64, subject bool) string {
	ref := ""
	if subject {
		ref = fmt.Sprintf(`"subject_ref":"VS-2026-%06d",`, n%1_000_000)
	}
	return fmt.Sprintf(`{"service":"victim-support/initial-contact","touchpoint":"first-contact","channel":"phone","period":"2026-10",`+
		`"ratings":{"satisfaction":%d,"effort":%d,"felt_safe":"yes","felt_believed":"partly","would_recommend":%d},`+
		`"comment":"The caseworker rang back when she said she would and explained what happens next at court. Waiting for the letter was the hardest part; number %d.",`+
		`%s"sensitivity":"standard",`+
		`"consent":{"purposes":["service_improvement","inter_agency_insight"],"share_with":["police-north"],"method":"verbal","notice_version":"2026-01"}}`,
		1+n%5, 1+(n/5)%5, n%11, n, ref)
}

func (r result) print(w io.Writer, conns int, duration time.Duration) {
	n := len(r.latencies)
	fmt.Fprintf(w, "connections %d, measured %s: %d ok, %d failed", conns, duration, n, r.failed)
	if r.failed > 0 {
		fmt.Fprintf(w, " (by status: %v)", r.statuses)
	}
	fmt.Fprintln(w)
	if n == 0 {
		return
	}
	slices.Sort(r.latencies)
	at := func(p float64) time.Duration { return r.latencies[min(n-1, int(p*float64(n)))] }
	fmt.Fprintf(w, "rate %.0f/s  p50 %s  p90 %s  p99 %s  max %s\n", float64(n)/duration.Seconds(),
		at(0.50).Round(10*time.Microsecond), at(0.90).Round(10*time.Microsecond), at(0.99).Round(10*time.Microsecond), r.latencies[n-1].Round(10*time.Microsecond))
}

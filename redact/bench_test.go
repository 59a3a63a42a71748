package redact

import (
	"strings"
	"testing"
)

// maxComment is the longest comment Candour stores (candour.MaxCommentBytes).
const maxComment = 16 << 10

// BenchmarkRedact measures throughput on one core over every sentence of
// the labelled set, each redacted as a comment of its own (as comments are
// served), in MB/s of comment text:
//
//	go test -run '^$' -bench Redact -cpu 1 ./redact
func BenchmarkRedact(b *testing.B) {
	r := newRedactor(b)
	var comments []string
	size := 0
	for _, p := range parts {
		for _, l := range readSet(b, p.name) {
			comments = append(comments, l.Text)
			size += len(l.Text)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range comments {
			r.Redact(c)
		}
	}
}

// BenchmarkNew measures building a Redactor (reading the word lists), which
// a server does once.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedactWorst measures the slowest comments found: each the longest
// comment allowed (16 KiB) of one pattern repeated, a pattern for each
// matcher that looks around or ahead. Before the fixes of 2026-12-05, 16 KiB
// of colons took about 150 ms and 16 KiB of letters without a space about
// 320 ms; each is now a few milliseconds:
//
//	go test -run '^$' -bench RedactWorst -cpu 1 ./redact
func BenchmarkRedactWorst(b *testing.B) {
	r := newRedactor(b)
	for _, p := range []string{
		"1 ", "12 34 ", "a 1 ", "1:", ":", "a:", "@", "x@y.", "(at)", "jo at x dot ", "dot", "aa", "a'",
		"March ", "the only ", "Y O 7 1 P L ", "x.y.1 ", "a_", "x.com/a ", "０", "O 1 ", "pc 12 ", "will jones ",
	} {
		text := strings.Repeat(p, maxComment/len(p)+1)[:maxComment]
		b.Run(strings.TrimSpace(p), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				r.Redact(text)
			}
		})
	}
}

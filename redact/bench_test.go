package redact

import "testing"

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

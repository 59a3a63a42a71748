// Package redact finds what identifies a person in free text and replaces it
// with a typed placeholder such as [NAME] or [PLACE]. It is applied to every
// comment before it leaves the server (comments, themes and exports alike).
//
// Guarantees: Find never panics on any input; spans are in order and never
// overlap; when two detections overlap, the redaction covers both (over-
// redaction beats a leak). Structured identifiers (phones, emails,
// postcodes, NHS, National Insurance, card and bank numbers, registrations,
// references, dates, handles, addresses) are found by pattern and checksum;
// names, places, schools, workplaces and roles that single someone out are
// found from word lists (see lexicon/SOURCES.md) and context. A Redactor is
// safe for concurrent use.
package redact

import (
	"slices"
	"strings"
	"sync"
)

// Kind names what a redaction hid; the placeholder is "[" + Kind + "]".
type Kind string

// The kinds of identifier a Redactor finds.
const (
	KindEmail     Kind = "EMAIL"
	KindPhone     Kind = "PHONE"
	KindPostcode  Kind = "POSTCODE"
	KindNINO      Kind = "NINO"
	KindNHS       Kind = "NHS_NUMBER"
	KindSSN       Kind = "SSN"
	KindCard      Kind = "CARD"
	KindIBAN      Kind = "IBAN"
	KindIP        Kind = "IP"
	KindDate      Kind = "DATE"
	KindVehicle   Kind = "VEHICLE"
	KindRef       Kind = "REFERENCE"
	KindAddress   Kind = "ADDRESS"
	KindHandle    Kind = "HANDLE"
	KindName      Kind = "NAME"
	KindPlace     Kind = "PLACE"
	KindSchool    Kind = "SCHOOL"
	KindWorkplace Kind = "WORKPLACE"
	KindRole      Kind = "ROLE"
)

// Span is one identifier found in a text: bytes [Start, End).
type Span struct {
	Start, End int
	Kind       Kind
}

// Redactor finds identifiers. Build one with New and share it.
type Redactor struct {
	lex  *lexicon
	pat  *patterns
	bufs sync.Pool // of *buffers, reused across calls
}

// buffers are the working slices of one call.
type buffers struct {
	toks  []token
	spans []Span
}

// New returns a Redactor over the word lists embedded in this package.
func New() (*Redactor, error) {
	lex, err := loadLexicon()
	if err != nil {
		return nil, err
	}
	return &Redactor{lex: lex, pat: compilePatterns()}, nil
}

// Find returns the identifiers in text, in order, not overlapping.
func (r *Redactor) Find(text string) []Span {
	var out []Span
	r.find(text, func(spans []Span) { out = append(out, spans...) })
	return out
}

// find calls use with the spans of text, in buffers that are reused after.
func (r *Redactor) find(text string, use func([]Span)) {
	b, _ := r.bufs.Get().(*buffers)
	if b == nil {
		b = &buffers{}
	}
	read, undone := readable(text)
	if undone {
		text = read.text
	}
	spans := r.pat.find(text, b.spans[:0])
	spans, b.toks = r.lex.find(text, spans, b.toks[:0])
	spans = resolve(spans)
	if undone {
		spans = resolve(read.back(spans)) // mapped back, two may now touch or overlap
	}
	use(spans)
	b.spans = spans
	clear(b.toks) // drop the strings the tokens hold
	r.bufs.Put(b)
}

// Redact replaces every identifier Find finds with its placeholder.
func (r *Redactor) Redact(text string) string {
	out := text
	r.find(text, func(spans []Span) {
		if len(spans) == 0 {
			return
		}
		var b strings.Builder
		b.Grow(len(text) + 12*len(spans))
		last := 0
		for _, s := range spans {
			b.WriteString(text[last:s.Start])
			b.WriteByte('[')
			b.WriteString(string(s.Kind))
			b.WriteByte(']')
			last = s.End
		}
		b.WriteString(text[last:])
		out = b.String()
	})
	return out
}

// resolve orders spans and merges those that overlap: the earlier, then the
// longer, gives the kind, and the merged span reaches as far as either.
func resolve(spans []Span) []Span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortStableFunc(spans, func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return (b.End - b.Start) - (a.End - a.Start)
	})
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.Start < out[n-1].End {
			out[n-1].End = max(out[n-1].End, s.End)
			continue
		}
		out = append(out, s)
	}
	return out
}

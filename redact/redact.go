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
	"sort"
	"strings"
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

// Class groups kinds the way the evaluation floors do.
type Class string

// The three classes of identifier.
const (
	ClassStructured Class = "structured"
	ClassName       Class = "name"
	ClassQuasi      Class = "place, school, workplace or role"
)

// Class returns k's class.
func (k Kind) Class() Class {
	switch k {
	case KindName:
		return ClassName
	case KindPlace, KindSchool, KindWorkplace, KindRole:
		return ClassQuasi
	}
	return ClassStructured
}

// Span is one identifier found in a text: bytes [Start, End).
type Span struct {
	Start, End int
	Kind       Kind
}

// Redactor finds identifiers. Build one with New and share it.
type Redactor struct {
	lex *lexicon
	pat *patterns
}

// New returns a Redactor over the word lists embedded in this package.
func New() (*Redactor, error) {
	lex, err := loadLexicon()
	if err != nil {
		return nil, err
	}
	return &Redactor{lex: lex, pat: compilePatterns(func(w string) bool { return lex.words.has(w) || lex.cues.function.has(w) })}, nil
}

// Find returns the identifiers in text, in order, not overlapping.
func (r *Redactor) Find(text string) []Span {
	spans := r.pat.find(text, nil)
	spans = r.lex.find(text, spans)
	return resolve(spans)
}

// Redact replaces every identifier Find finds with its placeholder.
func (r *Redactor) Redact(text string) string {
	spans := r.Find(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s.Start])
		b.WriteByte('[')
		b.WriteString(string(s.Kind))
		b.WriteByte(']')
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// resolve orders spans and merges those that overlap: the earlier, then the
// longer, gives the kind, and the merged span reaches as far as either.
func resolve(spans []Span) []Span {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].Start != spans[j].Start {
			return spans[i].Start < spans[j].Start
		}
		return spans[i].End-spans[i].Start > spans[j].End-spans[j].Start
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

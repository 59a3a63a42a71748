package redact

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Before anything is found, text is read as a person would read it: the
// characters that hide an identifier from a matcher but not from a reader
// are undone, and spans found in the result are mapped back onto the text
// as written.
//
//   - invisible characters (zero-width spaces and joiners, soft hyphens,
//     word joiners, byte-order marks) are dropped: "07700\u200b900123";
//   - compatibility forms become their plain letters and digits (NFKC):
//     full-width "０７７００", ligatures, circled and superscript digits;
//   - in a word that is mostly digits, or a run of words that together
//     are, the letters O and o are read as 0 and I and l as 1, when there
//     are four digits or more: "O7700 9OO123", "O77OO 9OO 123" (but not the
//     postcode "l18" or the registration "oo64").

// plain is a text as read, with where each of its bytes came from.
type plain struct {
	text       string
	start, end []int // the written bytes [start[k], end[k]) became byte k
}

// readable returns text as read; ok is false when nothing needed undoing,
// and then text is used as written.
func readable(text string) (plain, bool) {
	if !needsReading(text) {
		return plain{}, false
	}
	var b strings.Builder
	p := plain{start: make([]int, 0, len(text)), end: make([]int, 0, len(text))}
	emit := func(s string, from, to int) {
		b.WriteString(s)
		for range len(s) {
			p.start, p.end = append(p.start, from), append(p.end, to)
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case invisible(r):
		case r < utf8.RuneSelf || norm.NFKC.QuickSpanString(text[i:i+size]) == size:
			emit(text[i:i+size], i, i+size) // already plain: most accented letters
		default:
			emit(norm.NFKC.String(text[i:i+size]), i, i+size)
		}
		i += size
	}
	p.text = digitLetters(b.String())
	return p, true
}

// needsReading reports whether text holds anything readable changes.
func needsReading(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= utf8.RuneSelf {
			return true
		}
		if (c == 'O' || c == 'o' || c == 'I' || c == 'l') && (i > 0 && isDigit(text[i-1]) || i+1 < len(text) && isDigit(text[i+1])) {
			return true
		}
	}
	return false
}

func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u180e':
		return true
	}
	return false
}

// digitLetters reads O, o, I and l as digits in words that are mostly
// digits, alone or in a run of such words: "O7700", "O77OO 9OO 123". A word
// with any other letter, or no digit, ends a run. The length of s does not
// change.
func digitLetters(s string) string {
	b := []byte(s)
	type word struct{ start, end, digits, lookalikes int }
	var run []word
	mostly := func(digits, lookalikes int) bool { return lookalikes > 0 && digits >= 4 && digits > lookalikes }
	read := func(w word) {
		for k := w.start; k < w.end; k++ {
			switch b[k] {
			case 'O', 'o':
				b[k] = '0'
			case 'I', 'l':
				b[k] = '1'
			}
		}
	}
	flush := func() {
		digits, lookalikes := 0, 0
		for _, w := range run {
			digits, lookalikes = digits+w.digits, lookalikes+w.lookalikes
		}
		for _, w := range run {
			if mostly(digits, lookalikes) || mostly(w.digits, w.lookalikes) {
				read(w)
			}
		}
		run = run[:0]
	}
	for i := 0; i < len(b); {
		w := word{start: i}
		others := 0
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' {
			switch c := b[j]; {
			case isDigit(c):
				w.digits++
			case c == 'O' || c == 'o' || c == 'I' || c == 'l':
				w.lookalikes++
			case isLetter(c):
				others++
			}
			j++
		}
		w.end = j
		if others > 0 || w.digits == 0 || j < len(b) && b[j] != ' ' {
			if others == 0 && w.digits > 0 {
				run = append(run, w) // the run ends after this word
			}
			flush()
		} else {
			run = append(run, w)
		}
		i = j + 1
	}
	flush()
	return string(b)
}

// back maps spans found in p.text onto the text as written.
func (p plain) back(spans []Span) []Span {
	for i, s := range spans {
		spans[i].Start, spans[i].End = p.start[s.Start], p.end[s.End-1]
	}
	return spans
}

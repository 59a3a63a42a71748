package redact

import (
	"math/big"
	"net"
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// patterns are the few detectors still written as regular expressions:
// emails spelt out and IPv6 addresses. Each runs only on windows of the text
// around what it needs (a spoken "at", two colons), so text without them
// costs one scan.
type patterns struct {
	emailWords, dotWord, ipv6 *regexp.Regexp
}

// window is how far around an anchor a pattern may reach, in bytes.
const window = 64

func compilePatterns() *patterns {
	return &patterns{
		// Emails spelt out: "jane dot doe at example dot com", "jane(at)example(dot)com".
		emailWords: regexp.MustCompile(`(?i)\b[a-z0-9_\-]+(?:(?: ?\.|\s+dot) ?[a-z0-9_\-]+)*\s*(?:\(at\)|\[at\]|\s+at\s+)\s*[a-z0-9\-]+(?:(?:\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z]{2,})+\b`),
		dotWord:    regexp.MustCompile(`(?i)\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*`),
		ipv6:       regexp.MustCompile(`\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b`),
	}
}

// find appends the emails spelt out and the IPv6 addresses in text to spans.
func (p *patterns) find(text string, spans []Span) []Span {
	for _, w := range windows(text, spokenAts(text)) {
		spans = p.spokenEmails(text, w, spans)
	}
	if colons := indexesOf(text, ':'); len(colons) >= 2 {
		for _, w := range windows(text, colons) {
			for _, m := range p.ipv6.FindAllStringIndex(text[w[0]:w[1]], -1) {
				if s := text[w[0]+m[0] : w[0]+m[1]]; strings.Count(s, ":") >= 2 && net.ParseIP(s) != nil {
					spans = append(spans, Span{w[0] + m[0], w[0] + m[1], KindIP})
				}
			}
		}
	}
	return spans
}

// spokenAts returns where text says "at" as an email would spell it:
// "(at)", "[at]", or " at " with "dot" or ".x" soon after and no "@" in the
// word after it (for "at jo@example.com" is written, not spoken).
func spokenAts(text string) []int {
	var out []int
	for i := 1; i+2 < len(text); i++ {
		k := strings.IndexAny(text[i:len(text)-2], "aA")
		if k < 0 {
			break
		}
		i += k
		if t := text[i+1]; t != 't' && t != 'T' {
			continue
		}
		switch before, after := text[i-1], text[i+2]; {
		case (before == '(' || before == '[') && (after == ')' || after == ']'):
			out = append(out, i)
		case before == ' ' && after == ' ':
			rest := text[i+3 : min(len(text), i+3+48)]
			next, _, _ := strings.Cut(rest, " ")
			if strings.IndexByte(next, '@') < 0 && (containsFold(rest, "dot") || hasDotWord(rest)) {
				out = append(out, i)
			}
		}
	}
	return out
}

// indexesOf returns where b stands in text.
func indexesOf(text string, b byte) []int {
	var out []int
	for i := strings.IndexByte(text, b); i >= 0; {
		out = append(out, i)
		next := strings.IndexByte(text[i+1:], b)
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return out
}

// spokenEmails finds emails spelt out in text[w[0]:w[1]]. A match must end
// in a top-level domain and not hold a number read aloud; when one does not,
// the search starts again at the next word, so that "me at jane dot doe at
// example dot com" finds the address and not "me at jane dot doe".
func (p *patterns) spokenEmails(text string, w [2]int, spans []Span) []Span {
	at := w[0]
	for at < w[1] {
		m := p.emailWords.FindStringIndex(text[at:w[1]])
		if m == nil {
			break
		}
		start, end := at+m[0], at+m[1]
		if n := p.domainEnd(text[start:end]); n > 0 && spokenDigitWords(text[start:start+n]) < 2 {
			spans = append(spans, Span{start, start + n, KindEmail})
			at = start + n
			continue
		}
		next := strings.IndexAny(text[start:w[1]], " \t\n")
		if next < 0 {
			break
		}
		at = start + next + 1
	}
	return spans
}

// domainEnd returns the length of the longest start of the spoken email s
// that ends in a top-level domain ("… dot co dot uk" and not "… dot uk
// .AAAA"), or 0.
func (p *patterns) domainEnd(s string) int {
	ends := []int{len(s)}
	for _, m := range p.dotWord.FindAllStringIndex(s, -1) {
		ends = append(ends, m[0])
	}
	best := 0
	for _, e := range ends {
		if e > best && topLevelDomain(s[:e]) {
			best = e
		}
	}
	return best
}

// topLevelDomain reports whether the last word of s is a common top-level
// domain or a country's.
func topLevelDomain(s string) bool {
	i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	last := strings.ToLower(s[i+1:])
	switch last {
	case "com", "org", "net", "gov", "edu", "info", "biz", "io", "app", "email", "online", "co", "me", "scot", "wales", "cymru", "london":
		return true
	}
	return len(last) == 2
}

// windows returns the parts of text within window bytes of the anchors (in
// order), widened to whitespace and merged where they meet.
func windows(text string, anchors []int) [][2]int {
	var out [][2]int
	for _, i := range anchors {
		start, end := max(0, i-window), min(len(text), i+window)
		if n := len(out); n > 0 && start <= out[n-1][1] {
			// Within reach of the last window: it grows, and only past its
			// end is the text read again (so that a long run without spaces
			// costs its length once, not once per anchor).
			if end > out[n-1][1] {
				for end < len(text) && !isSpace(text[end]) {
					end++
				}
				out[n-1][1] = end
			}
			continue
		}
		for start > 0 && !isSpace(text[start-1]) {
			start--
		}
		for end < len(text) && !isSpace(text[end]) {
			end++
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// hasDotWord reports whether s holds a "." directly followed by a letter.
func hasDotWord(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && unicode.IsLetter(rune(s[i+1])) {
			return true
		}
	}
	return false
}

// spokenDigitWords counts the digit words in s ("seven", "double").
func spokenDigitWords(s string) int {
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if _, ok := digitWordValue(w); ok {
			n++
		}
	}
	return n
}

// digitWordValue is how many digits a spoken digit word adds.
func digitWordValue(w string) (int, bool) {
	switch w {
	case "zero", "oh", "o", "nought", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double":
		return 1, true
	case "triple", "treble", "hundred":
		return 2, true
	case "thousand":
		return 3, true
	}
	return 0, false
}

// classify says what a run of digits is: a card (Luhn), an NHS number
// (mod 11), a phone number (libphonenumber, GB or US), a reference (any
// other run of nine digits or more), or nothing.
func classify(raw string) (Kind, bool) {
	digits := onlyDigits(raw)
	switch {
	case len(digits) >= 13 && len(digits) <= 19 && luhn(digits):
		return KindCard, true
	case len(digits) == 10 && nhsValid(digits) && !strings.HasPrefix(digits, "0"):
		return KindNHS, true
	case len(digits) >= 7 && possiblePhone(raw):
		return KindPhone, true
	case len(digits) >= 9:
		// A long number that is none of these is still someone's: a
		// mistyped NHS number, an account, a reference.
		return KindRef, true
	}
	return "", false
}

// possiblePhone reports whether raw can be a phone number: by the shapes of
// UK and US numbers first, then by libphonenumber.
func possiblePhone(raw string) bool {
	d := onlyDigits(raw)
	switch {
	case len(d) == 11 && d[0] == '0', len(d) == 12 && d[:2] == "44", len(d) == 14 && d[:4] == "0044",
		len(d) == 10 && d[0] != '0' && d[0] != '1', len(d) == 11 && d[0] == '1':
		return true
	}
	return libPossiblePhone(raw)
}

func libPossiblePhone(raw string) bool {
	for _, region := range [...]string{"GB", "US"} {
		if n, err := phonenumbers.Parse(raw, region); err == nil && phonenumbers.IsPossibleNumber(n) {
			return true
		}
	}
	return false
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum, double = sum+n, !double
	}
	return sum%10 == 0
}

// nhsValid checks an NHS number's modulus 11 check digit.
func nhsValid(d string) bool {
	sum := 0
	for i := range 9 {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// validIBAN checks an IBAN's mod-97 checksum.
func validIBAN(s string) bool {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var b strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

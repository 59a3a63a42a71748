package redact

import (
	"math/big"
	"net"
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// patterns are the detectors of structured identifiers. Each runs only on
// windows of the text around what it needs (a digit, an "@", a spoken "at"),
// so that text without such anchors costs one scan.
type patterns struct {
	digitRes []detector // anchored on digits
	atRes    []detector // anchored on "@"
	emailWords,
	digitWords *regexp.Regexp
}

type detector struct {
	re   *regexp.Regexp
	kind Kind
	ok   func(string) bool
}

// window is how far around an anchor a pattern may reach, in bytes.
const window = 64

// compilePatterns builds the detectors; common reports whether a lower-case
// word is an ordinary English word (so "was 1234" is not a registration).
func compilePatterns(common func(string) bool) *patterns {
	months := `(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`
	re := regexp.MustCompile
	return &patterns{
		digitRes: []detector{
			{re(`\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b`), KindIBAN, func(s string) bool { return validIBAN(s) || len(onlyDigits(s)) >= 10 }},
			{re(`(?i)\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`), KindNINO, nil},
			{re(`\b\d{3}-\d{2}-\d{4}\b`), KindSSN, nil},
			{re(`\b\d{1,3}(?:\.\d{1,3}){3}\b`), KindIP, func(s string) bool { return net.ParseIP(s) != nil }},
			{re(`\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b`), KindIP, func(s string) bool { return strings.Count(s, ":") >= 2 && net.ParseIP(s) != nil }},
			{re(`(?i)\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)? (?:of )?` + months + `,? (?:19|20)\d{2}|` + months + ` \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2}|` + months + `,? (?:(?:19|20)\d{2}\b|'\d{2}\b)|\b\d{1,2}(?:st|nd|rd|th)? (?:of )?` + months + `,? '?\d{2}\b)`), KindDate, nil},
			{re(`\+?\(?\d[\d\s().\-]{6,}\d`), KindPhone, nil}, // classified by classifyDigits
			{re(`(?i)\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)(?: {0,3}|-)\d[A-Z]{2}\b`), KindPostcode, nil},
			// Registrations: the current format in any case, older ones
			// in capitals or with their space.
			{re(`(?i)\b[A-Z]{2}\d{2} ?[A-Z]{3}\b`), KindVehicle, nil},
			{re(`(?i)\b[A-Z]\d{1,3} ?[A-Z]{3}\b|\b[A-Z]{3} ?\d{1,3}[A-Z]\b`), KindVehicle, func(s string) bool { return strings.ToUpper(s) == s || strings.Contains(s, " ") }},
			{re(`\b[A-Z]{3} ?\d{1,4}\b`), KindVehicle, func(s string) bool {
				switch s[:3] {
				case "NHS", "CPS", "BBC", "ITV", "GCSE", "PIN", "SOS", "DWP", "CID", "PTSD":
					return false
				}
				return true
			}},
			{re(`\b[a-z]{3} ?\d{3,4}\b`), KindVehicle, func(s string) bool { return !common(s[:3]) }},
			{re(`(?i)\b\d{2}/\d{4,8}/\d{2}\b|\b[A-Z]{2,5}[-/]?\d{2,4}[-/]\d{3,8}\b|\b(?:crime|incident|case|reference|ref|log|cad|occurrence)(?: (?:reference|ref|number|no\.?|num))?(?: is| was|:)? #?([A-Z0-9][A-Z0-9/\-]{3,})`), KindRef, func(s string) bool { return strings.ContainsAny(s, "0123456789") }},
			{re(`\b(?:[Ff]lat \d+[a-z]?,? )?\d{1,4}[A-Za-z]? (?:[A-Z][a-z]+ ){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Crescent|Place|Terrace|Grove|Gardens|Hill|Park|Square|Walk|Mews|Row|View|Rise|Green|Parade)\b|\b\d{1,4}[A-Za-z]? (?:Heol|Ffordd|Stryd) [A-Z][a-z]+|(?i)\bflat \d+[a-z]?\b`), KindAddress, nil},
		},
		atRes: []detector{
			{re(`[A-Za-z0-9._%+\-]+ ?@ ?[A-Za-z0-9\-]+(?: ?\. ?[A-Za-z0-9\-]+)* ?\. ?[A-Za-z]{2,}\b`), KindEmail, nil},
			{re(`(?:^|[\s(\[,;:])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)\b`), KindHandle, nil},
		},
		// Emails spelt out: "jane dot doe at example dot com", "jane(at)example(dot)com".
		emailWords: re(`(?i)\b[a-z0-9_\-]+(?:(?: ?\.|\s+dot) ?[a-z0-9_\-]+)*\s*(?:\(at\)|\[at\]|\s+at\s+)\s*[a-z0-9\-]+(?:(?:\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z]{2,})+\b`),
	}
}

// find appends the structured identifiers in text to spans.
func (p *patterns) find(text string, spans []Span) []Span {
	if ws := windows(text, func(i int) bool { return text[i] >= '0' && text[i] <= '9' }); len(ws) > 0 {
		var digits []Span
		for _, w := range ws {
			for _, d := range p.digitRes {
				digits = d.find(text, w, digits)
			}
		}
		spans = append(spans, classifyDigits(text, digits)...)
	}
	for _, w := range windows(text, func(i int) bool { return text[i] == '@' }) {
		for _, d := range p.atRes {
			spans = d.find(text, w, spans)
		}
	}
	spokenAt := func(i int) bool {
		switch {
		case text[i] == '(' || text[i] == '[':
			return i+3 < len(text) && strings.EqualFold(text[i+1:i+3], "at") && (text[i+3] == ')' || text[i+3] == ']')
		case text[i] == ' ' && i+3 < len(text) && strings.EqualFold(text[i+1:i+3], "at") && text[i+3] == ' ':
			rest := text[i+4 : min(len(text), i+4+48)]
			return containsFold(rest, "dot") || hasDotWord(rest)
		}
		return false
	}
	for _, w := range windows(text, spokenAt) {
		spans = p.spokenEmails(text, w, spans)
	}
	return spans
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
		if s := text[start:end]; spokenDigitWords(s) < 2 && topLevelDomain(s) {
			spans = append(spans, Span{start, end, KindEmail})
			at = end
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

// find appends d's matches in text[w[0]:w[1]] to spans, as offsets in text.
func (d detector) find(text string, w [2]int, spans []Span) []Span {
	part := text[w[0]:w[1]]
	for _, m := range d.re.FindAllStringSubmatchIndex(part, -1) {
		start, end := m[0], m[1]
		if len(m) >= 4 && m[2] >= 0 { // a capture group marks the identifier itself
			start, end = m[2], m[3]
		}
		if d.ok == nil || d.ok(part[start:end]) {
			spans = append(spans, Span{w[0] + start, w[0] + end, d.kind})
		}
	}
	return spans
}

// windows returns the parts of text within window bytes of a byte that
// anchor accepts, widened to whitespace and merged where they meet.
func windows(text string, anchor func(int) bool) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); i++ {
		if !anchor(i) {
			continue
		}
		start, end := max(0, i-window), min(len(text), i+window)
		for start > 0 && !isSpace(text[start-1]) {
			start--
		}
		for end < len(text) && !isSpace(text[end]) {
			end++
		}
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = end
		} else {
			out = append(out, [2]int{start, end})
		}
		i = max(i, end-window-1) // anchors before here fall in this window
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
	case "triple":
		return 2, true
	}
	return 0, false
}

// classifyDigits turns each run of digits found as PHONE into what it is: a
// card (Luhn), an NHS number (mod 11), a phone number (libphonenumber, GB or
// US), a reference (any other run of nine digits or more), or nothing. A run that is none of these as a whole is tried group by
// group, and redacted whole if any run of its groups is an identifier.
func classifyDigits(text string, spans []Span) []Span {
	out := spans[:0]
	for _, s := range spans {
		if s.Kind != KindPhone {
			out = append(out, s)
			continue
		}
		raw := text[s.Start:s.End]
		kind, ok := classify(raw)
		if !ok {
			groups := strings.Fields(raw)
		search:
			for i := range groups {
				for j := min(len(groups), i+8); j > i; j-- {
					if kind, ok = classify(strings.Join(groups[i:j], " ")); ok {
						break search
					}
				}
			}
		}
		if ok {
			s.Kind = kind
			out = append(out, s)
		}
	}
	return out
}

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

func possiblePhone(raw string) bool {
	for _, region := range []string{"GB", "US"} {
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

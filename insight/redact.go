package insight

import (
	"math/big"
	"net"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Kind names what a redaction hid; the placeholder is "[" + Kind + "]".
type Kind string

// The kinds of identifier Redact finds.
const (
	KindEmail    Kind = "EMAIL"
	KindPhone    Kind = "PHONE"
	KindPostcode Kind = "POSTCODE"
	KindNINO     Kind = "NINO"
	KindNHS      Kind = "NHS_NUMBER"
	KindSSN      Kind = "SSN"
	KindCard     Kind = "CARD"
	KindIBAN     Kind = "IBAN"
	KindIP       Kind = "IP"
	KindDate     Kind = "DATE"
	KindVehicle  Kind = "VEHICLE"
	KindRef      Kind = "REFERENCE"
	KindAddress  Kind = "ADDRESS"
	KindName     Kind = "NAME"
	KindHandle   Kind = "HANDLE"
)

// Span is one identifier found in a text: bytes [Start, End).
type Span struct {
	Start, End int
	Kind       Kind
}

var (
	reEmail    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	reIBAN     = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`)
	reDigits   = regexp.MustCompile(`\+?\(?\d[\d\s().\-]{6,}\d`)
	reNINO     = regexp.MustCompile(`(?i)\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`)
	reSSN      = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)
	reIPv4     = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	reIPv6     = regexp.MustCompile(`\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b`)
	months     = `(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`
	reDate     = regexp.MustCompile(`(?i)\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)? (?:of )?` + months + `,? (?:19|20)\d{2}|` + months + ` \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2}|` + months + `,? (?:(?:19|20)\d{2}\b|'\d{2}\b))`)
	rePostcode = regexp.MustCompile(`(?i)\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)[ \-]?\d[A-Z]{2}\b`)
	// Vehicle registrations: the current format in any case (a word never
	// holds digits like it), older ones in capitals or with their space, and
	// the dateless "ABC 1234" in capitals.
	reVehicleNow = regexp.MustCompile(`(?i)\b[A-Z]{2}\d{2} ?[A-Z]{3}\b`)
	reVehicle    = regexp.MustCompile(`(?i)\b[A-Z]\d{1,3} ?[A-Z]{3}\b|\b[A-Z]{3} ?\d{1,3}[A-Z]\b`)
	reVehicleOld = regexp.MustCompile(`\b[A-Z]{3} ?\d{4}\b`)
	// Social-media handles.
	reHandle = regexp.MustCompile(`(?:^|[\s(\[,;:])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)\b`)
	// Emails spelt out: "jane dot doe at example dot com", "jane(at)example.com".
	reEmailWords = regexp.MustCompile(`(?i)\b[a-z0-9_\-]+(?:(?: ?\.|\s+dot) ?[a-z0-9_\-]+)*\s*(?:\(at\)|\[at\]|\s+at\s+)\s*[a-z0-9\-]+(?:(?:\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z]{2,})+\b`)
	// Digits spelt out, seven or more in a row ("oh seven seven double
	// oh…"): a phone number read aloud.
	reDigitWords = regexp.MustCompile(`(?i)\b(?:(?:zero|oh|nought|one|two|three|four|five|six|seven|eight|nine|double|triple|\d)[\s,\-]+){6,}(?:zero|oh|nought|one|two|three|four|five|six|seven|eight|nine|\d)\b`)
	reRef        = regexp.MustCompile(`(?i)\b\d{2}/\d{4,8}/\d{2}\b|\b[A-Z]{2,5}[-/]?\d{2,4}[-/]\d{3,8}\b|\b(?:crime|incident|case|reference|ref|log|cad|occurrence)(?: (?:reference|ref|number|no\.?|num))?(?: is| was|:)? #?([A-Z0-9][A-Z0-9/\-]{3,})`)
	reAddress    = regexp.MustCompile(`\b(?:Flat \d+[A-Za-z]?,? )?\d{1,4}[A-Za-z]? (?:[A-Z][a-z]+ ){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Crescent|Place|Terrace|Grove|Gardens|Hill|Park|Square|Walk|Mews|Row|View|Rise)\b`)
	reTitled     = regexp.MustCompile(`\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|PC|DC|DS|DI|DCI|Sgt|Sergeant|Constable|Inspector|Officer|Detective)\.? [A-Z][a-z'’\-]+(?: [A-Z][a-z'’\-]+)?`)
	reIntro      = regexp.MustCompile(`\b(?i:my name is|i am called|i'm called|called|named|name's) ([A-Z][a-z'’\-]+(?: [A-Z][a-z'’\-]+)?)`)
	reCapWord    = regexp.MustCompile(`\b[A-Z][a-z'’\-]+(?: [A-Z][a-z'’\-]+)?`)
)

// invalidNINOPrefixes are prefixes HMRC never issues.
var invalidNINOPrefixes = map[string]bool{"BG": true, "GB": true, "KN": true, "NK": true, "NT": true, "TN": true, "ZZ": true}

// Find returns the identifiers in text, in order, not overlapping: where two
// detectors overlap, the earlier and then the longer span wins.
func Find(text string) []Span {
	var spans []Span
	add := func(re *regexp.Regexp, kind Kind, ok func(s string) bool) {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			start, end := m[0], m[1]
			if len(m) >= 4 && m[2] >= 0 { // a capture group marks the identifier itself
				start, end = m[2], m[3]
			}
			if ok == nil || ok(text[start:end]) {
				spans = append(spans, Span{start, end, kind})
			}
		}
	}
	add(reEmail, KindEmail, nil)
	add(reIBAN, KindIBAN, validIBAN)
	add(reNINO, KindNINO, func(s string) bool {
		p := strings.ToUpper(s[:2])
		return !invalidNINOPrefixes[p] && !strings.ContainsAny(p[:1], "DFIQUV") && !strings.ContainsAny(p[1:], "DFIOQUV")
	})
	add(reSSN, KindSSN, nil)
	add(reIPv4, KindIP, func(s string) bool { return net.ParseIP(s) != nil })
	add(reIPv6, KindIP, func(s string) bool { return strings.Count(s, ":") >= 2 && net.ParseIP(s) != nil })
	add(reDate, KindDate, nil)
	add(reDigits, KindPhone, nil) // classified below
	add(rePostcode, KindPostcode, nil)
	add(reVehicleNow, KindVehicle, nil)
	add(reVehicle, KindVehicle, func(s string) bool { return strings.ToUpper(s) == s || len(strings.Fields(s)) == 2 })
	add(reVehicleOld, KindVehicle, nil)
	add(reHandle, KindHandle, nil)
	add(reEmailWords, KindEmail, func(s string) bool { return digitWords(s) < 2 })
	add(reRef, KindRef, nil)
	add(reAddress, KindAddress, nil)
	add(reTitled, KindName, nil)
	add(reIntro, KindName, nil)
	add(reCapWord, KindName, func(s string) bool { return firstNames[strings.Fields(s)[0]] })
	spans = classifyDigits(text, spans)
	// After the digits are classified: a number read aloud has none.
	add(reDigitWords, KindPhone, func(s string) bool { return digitWords(s) >= 7 })
	return resolve(spans)
}

// digitWords counts the spoken digits in s: digit words count one, double
// and triple count as the digits they repeat (two and three, less the digit
// that follows, which counts itself), and each digit counts one.
func digitWords(s string) int {
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '-' || r == '\t' || r == '\n' }) {
		switch w {
		case "zero", "oh", "nought", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine":
			n++
		case "double":
			n++
		case "triple":
			n += 2
		default:
			for _, r := range w {
				if unicode.IsDigit(r) {
					n++
				}
			}
		}
	}
	return n
}

// classifyDigits turns each run of digits found as PHONE into what it is: a
// card (Luhn), an NHS number (mod 11), a phone number (libphonenumber, GB or
// US), or nothing. A run that is none of these as a whole is tried group by
// group (digits with other digits around them, "1 07700 900123 1"), and
// redacted whole if any run of its groups is an identifier.
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
		if unicode.IsDigit(r) {
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
	s = strings.ReplaceAll(s, " ", "")
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

// resolve orders spans and drops those that overlap an earlier or longer one.
func resolve(spans []Span) []Span {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].Start != spans[j].Start {
			return spans[i].Start < spans[j].Start
		}
		return spans[i].End-spans[i].Start > spans[j].End-spans[j].Start
	})
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && s.Start < out[n-1].End {
			if s.End > out[n-1].End { // extend over the longer reach: over-redaction beats a leak
				out[n-1].End = s.End
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// Redact replaces every identifier Find finds with a typed placeholder such
// as [PHONE]. When in doubt it redacts: over-redaction is better than a leak.
func Redact(text string) string {
	spans := Find(text)
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s.Start])
		b.WriteString("[" + string(s.Kind) + "]")
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

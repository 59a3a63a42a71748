package redact

import (
	"net"
	"strings"
)

// Structured identifiers are read from the tokens, by hand, rather than by
// a battery of regular expressions over the text: this is what makes the
// redactor fast enough to run on every comment served.

// gap returns the text between tokens i-1 and i.
func (f *finder) gap(i int) string {
	return f.text[f.toks[i-1].end:f.toks[i].start]
}

// raw returns the text of token i as written.
func (f *finder) raw(i int) string { return f.text[f.toks[i].start:f.toks[i].end] }

// structured looks for a structured identifier starting at token i.
func (f *finder) structured(i int) (int, bool) {
	for _, m := range []func(int) (int, Kind){f.iban, f.nino, f.postcode, f.vehicle, f.reference, f.monthDate, f.flat, f.spelt, f.digitGroup, f.idLike} {
		if j, k := m(i); j > i {
			if k != "" { // "": the matcher recorded its span itself
				f.add(i, j, k)
			}
			return j, true
		}
	}
	return i, false
}

// structuredAt looks for a structured identifier at token j when one may
// start there: what follows a cue ("email 13/8/42", "postcode LS6 2AB") is
// read as itself first.
func (f *finder) structuredAt(j int) (int, bool) {
	if j >= len(f.toks) || !f.mayStartStructured(j) {
		return j, false
	}
	return f.structured(j)
}

// mayStartStructured reports whether token i or the one after it holds a
// digit, tokens i and i+1 are single characters, or token i is a word that
// starts a date or a reference.
func (f *finder) mayStartStructured(i int) bool {
	t := f.toks[i]
	if t.digits || (i+1 < len(f.toks) && f.toks[i+1].digits) {
		return true
	}
	if single(t) && f.spaced(i+1, 1) && single(f.toks[i+1]) {
		return true // perhaps spelt out
	}
	return t.is(fMonth) || t.is(fRefWord)
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
func isDigit(b byte) bool  { return '0' <= b && b <= '9' }
func alnum(b byte) bool    { return isLetter(b) || isDigit(b) }

// shapeIs reports whether s has the shape p, where L stands for a letter,
// D for a digit, and any other byte for itself.
func shapeIs(s, p string) bool {
	if len(s) != len(p) {
		return false
	}
	for i := range len(s) {
		switch p[i] {
		case 'L':
			if !isLetter(s[i]) {
				return false
			}
		case 'D':
			if !isDigit(s[i]) {
				return false
			}
		default:
			if s[i] != p[i] {
				return false
			}
		}
	}
	return true
}

// shapeIn reports whether s has one of the shapes ps.
func shapeIn(s string, ps ...string) bool {
	for _, p := range ps {
		if shapeIs(s, p) {
			return true
		}
	}
	return false
}

func allLetters(s string) bool {
	for i := range len(s) {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// spaced reports whether token i follows token i-1 after exactly n spaces
// or fewer (at least one).
func (f *finder) spaced(i, n int) bool {
	if i <= 0 || i >= len(f.toks) {
		return false
	}
	g := f.gap(i)
	return g != "" && len(g) <= n && strings.Trim(g, " ") == ""
}

// glued returns the tokens from i on joined by single spaces (or nothing
// between, for hyphens inside a token) while their text stays within max
// bytes without spaces: ends[k] is where the joined text of tokens i..i+k
// ends, and s is that text without spaces or hyphens.
func (f *finder) glued(i, max int) (s string, ends []int) {
	var b strings.Builder
	for j := i; j < len(f.toks) && (j == i || f.spaced(j, 1)); j++ {
		part := strings.ReplaceAll(f.raw(j), "-", "")
		if b.Len()+len(part) > max || !isASCII(part) {
			break
		}
		b.WriteString(part)
		ends = append(ends, b.Len())
	}
	return b.String(), ends
}

// iban: two letters, two digits, then up to 30 letters and digits, in
// groups or not; a checksum that fails still counts when ten digits or more
// show it is an account.
func (f *finder) iban(i int) (int, Kind) {
	r := f.raw(i)
	if len(r) < 4 || !isLetter(r[0]) || !isLetter(r[1]) || !isDigit(r[2]) || !isDigit(r[3]) {
		return i, ""
	}
	s, ends := f.glued(i, 34)
	for k := len(ends) - 1; k >= 0; k-- {
		c := s[:ends[k]]
		if len(c) >= 15 && (validIBAN(c) || len(onlyDigits(c)) >= 10) {
			return i + k + 1, KindIBAN
		}
	}
	return i, ""
}

// nino: a National Insurance number, "QQ 12 34 56 C" in any spacing or case.
func (f *finder) nino(i int) (int, Kind) {
	if r := f.raw(i); !shapeIs(r, "LL") && !shapeIs(r, "LLDDDDDDL") && !(shapeIs(r, "LLDDDDDD") || shapeIs(r, "LLDD") || shapeIs(r, "LLDDDD")) {
		return i, ""
	}
	s, ends := f.glued(i, 9)
	for k := len(ends) - 1; k >= 0; k-- {
		if c := s[:ends[k]]; shapeIs(c, "LLDDDDDDL") && strings.ContainsRune("ABCDabcd", rune(c[8])) {
			return i + k + 1, KindNINO
		}
	}
	return i, ""
}

// outward reports whether s is the first half of a postcode: A9, A99,
// AA9, AA99, A9A, AA9A.
func outward(s string) bool {
	return shapeIn(s, "LD", "LDD", "LLD", "LLDD", "LDL", "LLDL")
}

// inward reports whether s is the second half of a postcode: 9AA, and not
// an ordinal ("2nd").
func inward(s string) bool {
	return shapeIs(s, "DLL")
}

// ordinal reports whether s is an ordinal such as "2nd" or "8th".
func ordinal(s string) bool {
	if len(s) != 3 || !isDigit(s[0]) {
		return false
	}
	switch strings.ToLower(s[1:]) {
	case "st":
		return s[0] == '1'
	case "nd":
		return s[0] == '2'
	case "rd":
		return s[0] == '3'
	case "th":
		return s[0] != '1' && s[0] != '2' && s[0] != '3'
	}
	return false
}

// postcode: "LS6 2AB", "ls62ab", "YO7-1PL", "ls9  6lp".
func (f *finder) postcode(i int) (int, Kind) {
	r := f.raw(i)
	if len(r) < 2 || !isLetter(r[0]) || !f.toks[i].digits {
		return i, ""
	}
	if a, b, ok := strings.Cut(r, "-"); ok && outward(a) && inward(b) {
		return i + 1, KindPostcode
	}
	if n := len(r); n >= 5 && n <= 7 && outward(r[:n-3]) && inward(r[n-3:]) {
		return i + 1, KindPostcode
	}
	if outward(r) && i+1 < len(f.toks) && f.spaced(i+1, 3) {
		// "M1 2nd" is a road and an ordinal, "M1 2ND" a postcode.
		if next := f.raw(i + 1); inward(next) && !(ordinal(next) && strings.ToLower(next) == next) {
			return i + 2, KindPostcode
		}
	}
	return i, ""
}

// district records the first half of a postcode named as one ("my
// postcode's ls6", "post code: M1"): alone it is a district, and with the
// rest of a comment it narrows who wrote it. Token i is "postcode" or the
// "code" of "post code". It returns the next token to look at.
func (f *finder) district(i int) int {
	j := i + 1
	for n := 0; n < 2 && f.named(j) && (f.low(j) == "is" || f.low(j) == "was"); n++ {
		j++
	}
	if !f.named(j) {
		return i + 1
	}
	if end, ok := f.structuredAt(j); ok {
		return end
	}
	if outward(f.raw(j)) {
		f.add(j, j+1, KindPostcode)
		return j + 1
	}
	return i + 1
}

// districtAsPlace reports whether token i is a postcode's district in
// capitals where a place would stand: "lives in LS6", "moved to HX1".
func (f *finder) districtAsPlace(i int) bool {
	r := f.raw(i)
	return f.toks[i].letters && f.toks[i].digits && f.joined(i) && f.placeCue(i) &&
		shapeIn(r, "LLD", "LLDD", "LLDL") && strings.ToUpper(r) == r
}

// vehicle: a registration, current ("YK19 ABX", "yk19abx") or older
// ("W123 ABC", "ABC 123D", "AXZ 1234").
func (f *finder) vehicle(i int) (int, Kind) {
	r := f.raw(i)
	next := ""
	if i+1 < len(f.toks) && f.spaced(i+1, 1) {
		next = f.raw(i + 1)
	}
	// A separate group of letters is a registration's only when it is in
	// capitals or is no English word ("the car was yk19 and…" is not).
	lettersOK := func(j int) bool {
		l := f.raw(j)
		return strings.ToUpper(l) == l || !f.is(j, fWord|fFunction)
	}
	switch {
	case shapeIs(r, "LLDDLLL"):
		return i + 1, KindVehicle
	case shapeIn(r, "LDLLL", "LDDLLL", "LDDDLLL", "LLLDL", "LLLDDL", "LLLDDDL"):
		if strings.ToUpper(r) == r {
			return i + 1, KindVehicle
		}
	case shapeIs(r, "LLDD") && shapeIs(next, "LLL") && !f.is(i+1, fFunction):
		return i + 2, KindVehicle
	case shapeIs(r, "LLDD") && i+3 < len(f.toks) && f.spaced(i+1, 1) && f.spaced(i+2, 1) && f.spaced(i+3, 1) &&
		isLetter(f.toks[i+1].low[0]) && single(f.toks[i+1]) && single(f.toks[i+2]) && single(f.toks[i+3]) &&
		isLetter(f.toks[i+2].low[0]) && isLetter(f.toks[i+3].low[0]):
		return i + 4, KindVehicle // "YK19 A B X"
	case shapeIn(r, "LD", "LDD", "LDDD") && shapeIs(next, "LLL") && lettersOK(i+1):
		return i + 2, KindVehicle
	case shapeIs(r, "LLL") && shapeIn(next, "DL", "DDL", "DDDL") && lettersOK(i):
		return i + 2, KindVehicle
	case shapeIs(r, "LLL") && allDigits(next) && len(next) <= 4 && lettersOK(i) && !acronym(r) && !f.is(i, fMonth):
		return i + 2, KindVehicle
	}
	return i, ""
}

// acronym reports whether s is a public body or term written in capitals
// that a number often follows ("NHS 111").
func acronym(s string) bool {
	switch strings.ToUpper(s) {
	case "NHS", "CPS", "BBC", "ITV", "PIN", "SOS", "DWP", "CID", "AGE", "NFA", "GCSE", "MP", "DVLA", "TOP", "BUS", "THE", "AND", "PNC", "CRN", "REF", "LOG", "CAD":
		return true
	}
	return false
}

// flat: "Flat 3", "flat 10a", "apartment 12", "Room 214", "PO Box 1234",
// and a house by its number alone: "the lady at number 12".
func (f *finder) flat(i int) (int, Kind) {
	if !(i+1 < len(f.toks) && f.spaced(i+1, 1) && houseNumber(f.toks[i+1])) {
		return i, ""
	}
	switch f.toks[i].low {
	case "flat", "apartment", "apt", "plot", "block":
		return i + 2, KindAddress
	case "room", "unit", "suite": // "Room 214" is a place to find someone, "interview room 3" not
		if len(onlyDigits(f.toks[i+1].low)) >= 2 {
			return i + 2, KindAddress
		}
	case "box":
		if f.low(i-1) == "po" {
			return i + 2, KindAddress // "PO Box 1234"
		}
	case "number", "no":
		switch f.low(i - 1) {
		case "at", "from", "to", "lives", "live", "lived", "living", "in":
			return i + 2, KindAddress
		}
	}
	return i, ""
}

// digitGroup reads digits in groups — "07700 900123", "(0161) 496 0712",
// "+44 7700 900461", "4929-1234-5678-9016", "80.193.209.50", "14/03/1986" —
// and says what they are: an IP address, a date, a US social security
// number, a reference, or what classify makes of the digits.
func (f *finder) digitGroup(i int) (int, Kind) {
	if !f.toks[i].digits || f.toks[i].letters {
		return i, ""
	}
	j := i + 1
	for j < len(f.toks) && f.toks[j].digits && !f.toks[j].letters && groupGap(f.gap(j)) {
		j++
	}
	if j-i > maxGroups {
		// No identifier has so many groups; a run this long is redacted
		// whole rather than searched group by group (which would cost time
		// in proportion to its square).
		return j, KindRef
	}
	start := f.toks[i].start
	for start > 0 && (f.text[start-1] == '+' || f.text[start-1] == '(') {
		start--
	}
	// A date or an IP address first, before any digits that follow it.
	if j-i >= 3 && f.gap(i+1) == f.gap(i+2) && (f.gap(i+1) == "/" || f.gap(i+1) == "." || f.gap(i+1) == "-") && f.dateLike(i, i+3) {
		return i + 3, KindDate
	}
	if j-i >= 4 && f.gap(i+1) == "." && f.gap(i+2) == "." && f.gap(i+3) == "." && net.ParseIP(f.text[f.toks[i].start:f.toks[i+3].end]) != nil {
		return i + 4, KindIP
	}
	raw := f.text[start:f.toks[j-1].end]
	gaps := ""
	for k := i + 1; k < j; k++ {
		gaps += f.gap(k)
	}
	switch {
	case j-i == 4 && gaps == "...":
		if net.ParseIP(raw) != nil {
			return j, KindIP
		}
	case f.dateLike(i, j) && (gaps == "//" || gaps == ".." || gaps == "--" || gaps == "" && strings.Count(raw, "-") == 2):
		return j, KindDate
	case shapeIs(raw, "DDD-DD-DDDD"):
		return j, KindSSN
	case strings.Contains(gaps, "/"):
		if len(onlyDigits(raw)) >= 5 {
			return j, KindRef
		}
		return i, ""
	}
	if k, ok := classifyGroups(raw); ok {
		return j, k
	}
	return i, ""
}

// maxGroups is the most groups of digits one identifier is read from: a
// phone number spaced digit by digit has eleven or twelve.
const maxGroups = 24

// groupGap reports whether a gap can sit between groups of one number.
func groupGap(g string) bool {
	if g == "" || len(g) > 3 {
		return false
	}
	for i := range len(g) {
		switch g[i] {
		case ' ', '-', '.', '/', '(', ')':
		default:
			return false
		}
	}
	return true
}

// classifyGroups classifies raw as a whole, or else any run of its groups.
func classifyGroups(raw string) (Kind, bool) {
	if len(onlyDigits(raw)) < 7 {
		return "", false
	}
	if k, ok := classify(raw); ok {
		return k, true
	}
	groups := strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' })
	for i := range groups {
		for j := min(len(groups), i+8); j > i+1; j-- {
			if k, ok := classify(strings.Join(groups[i:j], " ")); ok {
				return k, true
			}
		}
	}
	return "", false
}

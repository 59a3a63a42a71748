package redact

// maxSpelt is the longest run of single characters read as one identifier
// and what stands around it (the identifiers themselves are nine at most:
// an IBAN's 34 is longer, but no one spells an IBAN out a letter at a time).
const maxSpelt = 16

// spelt: an identifier spelt out a character at a time, as it is read down
// a phone line — "Y O 7 1 P L", "y k 1 9 a b x", "Q Q 1 2 3 4 5 6 C". The
// single characters from token i on are joined; when any stretch of them is
// a postcode, a registration or a National Insurance number, the whole run
// goes (a stray "I" or "a" beside it with it: over-redaction beats a leak).
// Runs of digits alone are digitGroup's.
func (f *finder) spelt(i int) (int, Kind) {
	if i < f.speltTo || !single(f.toks[i]) || !f.spaced(i+1, 1) || !single(f.toks[i+1]) {
		return i, ""
	}
	var buf [maxSpelt]byte
	j, letters := i, 0
	for j < len(f.toks) && j-i < maxSpelt && (j == i || f.spaced(j, 1)) && single(f.toks[j]) {
		buf[j-i] = f.toks[j].low[0]
		if f.toks[j].letters {
			letters++
		}
		j++
	}
	s := string(buf[:j-i])
	if letters > 0 && letters < len(s) { // not "I a m", not digits alone
		for n := min(len(s), 9); n >= 5; n-- { // the longest stretch names the kind
			for from := 0; from+n <= len(s); from++ {
				if k := speltKind(s[from : from+n]); k != "" {
					return j, k
				}
			}
		}
	}
	// Every stretch within tokens [i, j) is tried: none starting later in
	// them can match, unless the run went on past j and the stretch with it.
	f.speltTo = j
	if j-i == maxSpelt {
		f.speltTo = j - 8
	}
	return i, ""
}

// speltKind says which identifier c, joined from single characters, is.
func speltKind(c string) Kind {
	n := len(c)
	switch {
	case n <= 7 && outward(c[:n-3]) && inward(c[n-3:]):
		return KindPostcode
	case shapeIn(c, "LLDDLLL", "LDLLL", "LDDLLL", "LDDDLLL", "LLLDL", "LLLDDL", "LLLDDDL", "LLLDDD", "LLLDDDD"):
		return KindVehicle
	case shapeIs(c, "LLDDDDDDL"):
		return KindNINO
	}
	return ""
}

// single reports whether t is one ASCII letter or digit.
func single(t token) bool {
	return len(t.low) == 1 && (isLetter(t.low[0]) || isDigit(t.low[0]))
}

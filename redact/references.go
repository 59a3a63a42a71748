package redact

import "strings"

// reference: case and crime references — "14/990231/26", "WYP/20/401739",
// "NP-2026-47066" — whatever follows "crime ref" or "reference number", and
// an officer's collar or badge number ("PC 4521", "collar number 212").
func (f *finder) reference(i int) (int, Kind) {
	t := f.toks[i]
	if t.is(fRefWord) {
		j := i + 1
		for n := 0; n < 3 && j < len(f.toks) && !f.toks[j].digits; n++ {
			switch f.toks[j].low {
			case "reference", "ref", "number", "no", "num", "is", "was", "nr", "id":
				j++
				continue
			}
			break
		}
		if j >= len(f.toks) || !f.toks[j].digits {
			return i, ""
		}
		if end, ok := f.structured(j); ok {
			return end, "" // whatever follows the cue, read as itself: "case number 07700 900123"
		}
		if len(f.toks[j].low) >= minRefDigits(t.low) && !f.counted(j) {
			end := f.slashed(j)
			f.add(j, end, KindRef)
			return end, "" // recorded from j on; the words before stay
		}
		return i, ""
	}
	if !t.digits && !(i+1 < len(f.toks) && f.toks[i+1].digits && (f.gap(i+1) == "/" || f.gap(i+1) == "-")) {
		return i, ""
	}
	end := f.slashed(i)
	if end == i+2 && f.gap(i+1) == "/" && shapeIn(f.raw(i), "DD", "DDDD") && shapeIn(f.raw(i+1), "DDDDDL", "DDDDDDL", "DDDDDDDL") {
		return end, KindRef // a Police National Computer ID: "12/345678A"
	}
	digits, groups := 0, 0
	for j := i; j < end; j++ {
		for part := range strings.SplitSeq(f.toks[j].low, "-") {
			groups++
			d := len(onlyDigits(part))
			digits += d
			if d > 0 && d != len(part) && !(len(part)-d <= 2 && j == i) {
				return i, "" // letters and digits mixed inside a group: not a reference
			}
		}
	}
	if groups < 3 || digits < 5 || f.dateLike(i, end) {
		return i, ""
	}
	return end, KindRef
}

// minRefDigits is how long a number must be to be taken for a reference
// after the word cue: an officer's collar or badge number is short.
func minRefDigits(cue string) int {
	switch cue {
	case "collar", "badge", "shoulder", "warrant", "pc", "pcso", "dc", "ds", "sgt":
		return 2
	case "officer", "constable", "sergeant":
		return 3
	}
	return 4
}

// counted reports whether the number at token j counts something ("20
// minutes", "3 officers") rather than naming it.
func (f *finder) counted(j int) bool {
	switch strings.TrimSuffix(f.low(j+1), "s") {
	case "minute", "min", "hour", "hr", "day", "week", "month", "year", "yr", "second", "sec", "time", "officer", "people", "person", "call", "mile", "metre", "meter", "yard", "am", "pm", "o'clock":
		return f.near(j + 1)
	}
	return false
}

// slashed returns the end of the tokens from i on joined by "/" or "-".
func (f *finder) slashed(i int) int {
	j := i + 1
	for j < len(f.toks) && (f.gap(j) == "/" || f.gap(j) == "-") {
		j++
	}
	return j
}

// idLike: a word of letters and digits mixed that is shaped like an
// identifier and like nothing else — a prison number ("A1234BC"), a
// membership or account number ("AB123456") — at least six long, with three
// digits or more and two letters or more, not starting with a quantity and
// its unit ("1000mg").
func (f *finder) idLike(i int) (int, Kind) {
	t := f.toks[i]
	if !t.digits || !t.letters || len(t.low) < 6 || strings.ContainsAny(t.low, "'-") {
		return i, ""
	}
	digits := 0
	for k := 0; k < len(t.low); k++ {
		if isDigit(t.low[k]) {
			digits++
		}
	}
	if digits < 3 || len(t.low)-digits < 2 || isDigit(t.low[0]) && unit(strings.TrimLeft(t.low, "0123456789.,")) {
		return i, ""
	}
	return i + 1, KindRef
}

// unit reports whether s is a unit a quantity is written with.
func unit(s string) bool {
	switch s {
	case "mg", "ml", "mcg", "kg", "km", "cm", "mm", "mph", "am", "pm", "hrs", "mins", "gb", "mb", "kb", "st", "nd", "rd", "th", "ft", "lbs", "kcal", "mah", "kw", "kwh", "cc", "px", "hz", "khz", "mhz", "s", "k", "m":
		return true
	}
	return false
}

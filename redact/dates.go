package redact

import "strings"

// Dates: written in digits (dateLike, for digitGroup), with a month's name
// (monthDate), and a birthday however little of it is given (birth).

// dateLike reports whether tokens [i, end) read as a date: d/m/y or y-m-d.
func (f *finder) dateLike(i, end int) bool {
	var lens [3]int
	n := 0
	for j := i; j < end; j++ {
		for part := range strings.SplitSeq(f.toks[j].low, "-") {
			if n == 3 || !allDigits(part) {
				return false
			}
			lens[n] = len(part)
			n++
		}
	}
	a, b, c := lens[0], lens[1], lens[2]
	return n == 3 && ((a <= 2 && b <= 2 && (c == 2 || c == 4)) || (a == 4 && b <= 2 && c <= 2))
}

// day reports whether token j is a day of the month: "3", "03", "3rd".
func (f *finder) day(j int) bool {
	if j < 0 || j >= len(f.toks) {
		return false
	}
	s := f.toks[j].low
	d := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if d == 0 || d > 2 {
		return false
	}
	switch s[d:] {
	case "", "st", "nd", "rd", "th":
		return true
	}
	return false
}

// year returns the end of a year at token j ("1986", "86" or "'86", after
// a space or a comma), or j.
func (f *finder) year(j int) int {
	if j >= len(f.toks) || !f.near(j) && !strings.HasSuffix(f.gap(j), "'") {
		return j
	}
	s := f.toks[j].low
	if allDigits(s) && (len(s) == 4 && (s[:2] == "19" || s[:2] == "20") || len(s) == 2) {
		return j + 1
	}
	return j
}

// month reports whether token j is a month's name, the first of a date
// (j == first) or after a space or a comma.
func (f *finder) month(j, first int) bool {
	return j < len(f.toks) && f.toks[j].is(fMonth) && (j == first || f.near(j))
}

// monthDate: "3rd of June 1979", "June 3rd, 1979", "March 1990", "March '86",
// "12 May 71".
func (f *finder) monthDate(i int) (int, Kind) {
	switch {
	case f.day(i):
		j := i + 1
		if f.low(j) == "of" {
			j++
		}
		if f.month(j, i) {
			end := f.year(j + 1)
			if f.day(j+1) && f.near(j+1) { // "3 March 18, 1960": the day was a number before the date
				end = max(end, f.year(j+2))
			}
			if end > j+1 {
				return end, KindDate
			}
		}
	case f.month(i, i):
		if f.day(i+1) && f.near(i+1) {
			if end := f.year(i + 2); end > i+2 {
				return end, KindDate
			}
		}
		if end := f.year(i + 1); end > i+1 && (len(f.toks[i+1].low) == 4 || strings.HasSuffix(f.gap(i+1), "'")) {
			return end, KindDate
		}
	}
	return i, ""
}

// birthCue reports whether token i says a birthday follows: "born",
// "birthday", "DOB", "date of birth".
func (f *finder) birthCue(i int) bool {
	switch f.low(i) {
	case "born", "birthday", "bday", "dob":
		return true
	case "birth":
		return f.low(i-1) == "of"
	case "b":
		return f.low(i+1) == "day" || f.low(i-1) == "o" && f.low(i-2) == "d" // "b'day", "d.o.b"
	}
	return false
}

// birth records what follows a birthday's cue as a date even when it is
// only a day and a month or only a year ("my birthday is 14th Feb", "born
// in '86"): with the rest of what is known of someone, either singles them
// out. A full date is left to the other matchers. It returns the next token
// to look at.
func (f *finder) birth(i int) int {
	j := i + 1
	for n := 0; n < 4 && j < len(f.toks) && f.named(j); n++ {
		switch f.low(j) {
		case "is", "was", "on", "in", "the", "of", "day", "date", "christmas", "boxing", "new", "year's", "eve":
			j++
			continue
		}
		break
	}
	if j >= len(f.toks) || !f.named(j) && !strings.HasSuffix(f.gap(j), "'") {
		return i + 1
	}
	if end, ok := f.structuredAt(j); ok {
		return end
	}
	if f.day(j) {
		k := j + 1
		if f.low(k) == "of" {
			k++
		}
		if f.month(k, -1) {
			f.add(j, k+1, KindDate)
			return k + 1
		}
	}
	if f.month(j, j) && f.day(j+1) && f.near(j+1) {
		f.add(j, j+2, KindDate)
		return j + 2
	}
	if f.year(j) > j {
		f.add(j, j+1, KindDate)
		return j + 1
	}
	return i + 1
}

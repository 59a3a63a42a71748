package redact

import "strings"

// The words around a name: the places, streets and workplaces a suffix ends,
// roles, and phone numbers spoken in words.

// suffixed handles a word such as "School", "Road" or "Hospital" that ends
// the name of a school, street, house or workplace: the words before it are
// its name when they are capitalised or uncommon ("Oakfield Primary",
// "heol tawe"), or common words with a cue before them ("on green lane",
// "44 station road", "the general infirmary").
func (f *finder) suffixed(i int) {
	t := f.toks[i]
	street := t.is(fStreetSuffix)
	if street && i >= 2 && f.low(i-1) == "the" && f.joined(i) && f.joined(i-1) && houseNumber(f.toks[i-2]) {
		f.add(i-2, i+1, KindAddress) // "14 The Drive"
		return
	}
	start, strong := i, false
	for start > 0 && i-start < 3 && f.joined(start) && f.word(start-1) {
		p := f.toks[start-1]
		switch {
		case p.is(fFunction) || p.is(fSpeech) || (f.proper(p) && !f.capital(start-1)):
			goto done
		case p.sent && f.common(p) && !f.proper(p):
			// A common word starting the sentence says little by its
			// capital: only with a capitalised suffix ("Ivy Farm").
			strong = strong || f.capital(i)
		case f.capital(start-1) || (f.shouting && !p.is(fFunction)) || p.low == "st" || p.low == "saint" || (!f.common(p) && !f.proper(p)):
			if !f.proper(p) && !p.is(fSchoolSuffix) {
				strong = true
			}
		case f.proper(p) || p.is(fSchoolSuffix):
			goto done
		}
		start--
	}
done:
	if start == i {
		return
	}
	number := start > 0 && f.joined(start) && houseNumber(f.toks[start-1])
	if !strong {
		cue := f.low(start - 1)
		switch {
		case number:
		case street && (cue == "on" || cue == "off" || cue == "along" || cue == "down" || cue == "up" || cue == "near" || cue == "in" || cue == "at" || cue == "of"):
		case street && start > 0 && strings.HasPrefix(f.text[f.toks[start-1].end:f.toks[start].start], ","): // "…, chapel street"
		case t.is(fHouseSuffix) && (cue == "at" || cue == "from" || cue == "to" || cue == "in" || cue == "of"):
		case t.is(fInstitution) && cue == "the" && !f.capital(start):
		case t.is(fSchoolSuffix) && (cue == "to" || cue == "at" || cue == "from" || cue == "attends"):
		default:
			return
		}
	}
	if number {
		start--
	}
	if t.is(fHouseSuffix) && start > 0 && f.joined(start) && f.toks[start-1].low == "the" && f.toks[start-1].cap {
		start-- // "The Old Vicarage"
	}
	end := i + 1
	for end < len(f.toks) && f.joined(end) && f.suffix(f.toks[end]) && f.capital(end) == f.capital(i) {
		end++
	}
	switch {
	case number || t.is(fHouseSuffix):
		f.add(start, end, KindAddress)
	case t.is(fSchoolSuffix):
		f.add(start, end, KindSchool)
	case t.is(fWorkSuffix):
		f.add(start, end, KindWorkplace)
	default:
		f.add(start, end, KindPlace)
	}
}

// houseNumber reports whether t is a house number such as "44" or "7b".
func houseNumber(t token) bool {
	n := len(t.low)
	if n == 0 || n > 5 || t.low[0] < '0' || t.low[0] > '9' {
		return false
	}
	digits := 0
	for digits < n && t.low[digits] >= '0' && t.low[digits] <= '9' {
		digits++
	}
	return digits <= 4 && n-digits <= 1
}

// role records what follows "the only" or "works as a" when it singles
// someone out: at most four words, up to a preposition, a verb or a stop.
func (f *finder) role(i int) int {
	j := i
	modifiers := 0
	for j < len(f.toks) && j-i < 4 && (j == i || f.joined(j)) && f.word(j) {
		w := f.low(j)
		if f.is(j, fFunction|fSpeech) || roleStop(w) {
			break
		}
		j++
	}
	if j == i {
		return i
	}
	for k := i; k < j-1; k++ {
		if !evaluative(f.low(k)) {
			modifiers++
		}
	}
	if f.toks[j-1].is(fGeneric) && modifiers == 0 {
		return j
	}
	f.add(i, j, KindRole)
	return j
}

func roleStop(w string) bool {
	switch w {
	case "who", "that", "which", "here", "there", "around", "round", "near", "about", "like", "left", "living", "working",
		"available", "willing", "able", "told", "knew", "know", "knows", "seemed", "seems", "did", "does", "do", "has",
		"had", "have", "can", "could", "would", "will", "should", "i", "me", "one", "person", "thing", "things":
		return true
	}
	return false
}

func evaluative(w string) bool {
	switch w {
	case "good", "bad", "real", "positive", "negative", "other", "first", "last", "main", "whole", "best", "worst",
		"right", "useful", "helpful", "proper", "true", "actual", "big", "little", "single", "second":
		return true
	}
	return false
}

// workplace records the name after "works at", "employed by".
func (f *finder) workplace(i int) int {
	if f.low(i) == "the" {
		i++
	}
	if i >= len(f.toks) || !f.word(i) {
		return i
	}
	if j, ok := f.phrase(i, fEmployerPhrase, f.l.employerPhrases); ok {
		f.add(i, j, KindWorkplace)
		return j
	}
	j := f.capitalRun(i)
	if j == i {
		for j < len(f.toks) && (j == i || f.joined(j)) && f.word(j) && j-i < 3 && (f.toks[j].is(fEmployer) || !f.common(f.toks[j]) && !f.proper(f.toks[j])) {
			j++
		}
	}
	if j == i {
		return i
	}
	for j < len(f.toks) && f.joined(j) && f.suffix(f.toks[j]) {
		j++
	}
	k := KindWorkplace
	if f.is(j-1, fSchoolSuffix) {
		k = KindSchool // "a teacher at Oakfield Primary"
	}
	f.add(i, j, k)
	return j
}

// spokenNumber records a phone number read aloud: seven or more digits in
// words ("oh seven seven double oh nine…") with at least one spelt out.
func (f *finder) spokenNumber(i int) (int, bool) {
	digits, words, j := 0, 0, i
	for j < len(f.toks) && (j == i || f.spokenGap(j)) {
		t := f.toks[j]
		if d, w, ok := spokenToken(t.low); ok {
			digits += d
			words += w
		} else if t.digits && !t.letters {
			digits += len(t.low)
		} else {
			break
		}
		j++
	}
	if digits >= 7 && words >= 1 {
		f.add(i, j, KindPhone)
		return j, true
	}
	return i, false
}

// spokenRest carries a phone number of fewer than eleven digits that ended
// at token j on through the digits read aloud after it ("07700 900 one two
// three"), and returns the next token to look at.
func (f *finder) spokenRest(j int) int {
	last := len(f.spans) - 1
	if last < 0 || f.spans[last].Kind != KindPhone || f.spans[last].End != f.toks[j-1].end {
		return j
	}
	digits := len(onlyDigits(f.text[f.spans[last].Start:f.spans[last].End]))
	k := j
	for k < len(f.toks) && digits < 11 && f.spokenGap(k) { // a UK number has eleven digits
		d, _, ok := spokenToken(f.toks[k].low)
		if !ok {
			break
		}
		digits += d
		k++
	}
	if k > j {
		f.spans[last].End = f.toks[k-1].end
	}
	return k
}

// spokenStart reports whether a word of hyphenated parts starts with a
// digit word ("oh-seven-seven").
func spokenStart(low string) bool {
	first, _, ok := strings.Cut(low, "-")
	if !ok {
		return false
	}
	_, isWord := digitWordValue(first)
	return isWord
}

// spokenToken counts the digits and digit words in one token, which may
// join them with hyphens ("oh-seven-seven").
func spokenToken(low string) (digits, words int, ok bool) {
	for part := range strings.SplitSeq(low, "-") {
		d, isWord := digitWordValue(part)
		switch {
		case isWord:
			digits += d
			words++
		case part != "" && strings.Trim(part, "0123456789") == "":
			digits += len(part)
		default:
			return 0, 0, false
		}
	}
	return digits, words, words > 0
}

func (f *finder) spokenGap(i int) bool {
	gap := f.text[f.toks[i-1].end:f.toks[i].start]
	if gap == "" || len(gap) > 3 {
		return false
	}
	for _, b := range []byte(gap) {
		if b != ' ' && b != ',' && b != '-' {
			return false
		}
	}
	return true
}

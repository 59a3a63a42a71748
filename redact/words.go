package redact

import "strings"

// finder walks the tokens of one text and records names, places, schools,
// workplaces, roles and spoken phone numbers.
type finder struct {
	l        *lexicon
	text     string
	toks     []token
	spans    []Span
	shouting bool // the text is written in capitals: capitals say nothing
}

// find appends to spans what the words of text hold, using toks for the
// tokens, and returns both.
func (l *lexicon) find(text string, spans []Span, toks []token) ([]Span, []token) {
	f := finder{l: l, text: text, toks: tokenize(text, toks), spans: spans}
	for i := range f.toks {
		t := &f.toks[i]
		t.fl = l.dict[t.low]
		if base, ok := strings.CutSuffix(t.low, "'s"); ok { // "Mary's": what Mary is
			t.fl |= l.dict[base]
		}
	}
	f.shouting = shouting(f.toks)
	f.emails()
	for i := 0; i < len(f.toks); {
		i = f.at(i)
	}
	return f.spans, f.toks
}

// shouting reports whether most words are in capitals.
func shouting(toks []token) bool {
	upper, n := 0, 0
	for _, t := range toks {
		if t.letters && len(t.low) > 1 {
			n++
			if t.upper {
				upper++
			}
		}
	}
	return n >= 4 && upper*3 > n*2
}

func (f *finder) add(from, to int, k Kind) {
	f.spans = append(f.spans, Span{f.toks[from].start, f.toks[to-1].end, k})
}

// joined reports whether token i follows token i-1 with only spaces between.
func (f *finder) joined(i int) bool {
	if i <= 0 || i >= len(f.toks) {
		return false
	}
	for _, b := range []byte(f.text[f.toks[i-1].end:f.toks[i].start]) {
		if b != ' ' && b != '\t' {
			return false
		}
	}
	return true
}

// near reports whether token i follows token i-1 with at most spaces, a
// comma or a full stop (after a title: "Mr. Khan") between.
func (f *finder) near(i int) bool {
	if i <= 0 || i >= len(f.toks) {
		return false
	}
	gap := f.text[f.toks[i-1].end:f.toks[i].start]
	return len(gap) <= 3 && gap != "" && (gap[0] == ' ' || gap[0] == ',' || gap[0] == '.') && !containsNewline(gap)
}

func containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return true
		}
	}
	return false
}

func (f *finder) low(i int) string {
	if i < 0 || i >= len(f.toks) {
		return ""
	}
	return f.toks[i].low
}

// capital reports whether token i is a capitalised word, in text that is
// not all capitals.
func (f *finder) capital(i int) bool {
	t := f.toks[i]
	return t.cap && t.letters && !t.digits && (!t.upper || len(t.low) > 3) && !f.shouting
}

func (f *finder) common(t token) bool { return t.is(fWord | fFunction) }

func (f *finder) person(t token) bool { return t.is(fFirst | fLast) }

func (f *finder) place(t token) bool { return t.is(fPlace) }

func (f *finder) proper(t token) bool { return t.is(fProper) }

func (f *finder) suffix(t token) bool {
	return t.is(fSchoolSuffix | fStreetSuffix | fHouseSuffix | fWorkSuffix)
}

// is reports whether token i exists and has any of the flags in m.
func (f *finder) is(i int, m trait) bool { return i >= 0 && i < len(f.toks) && f.toks[i].fl&m != 0 }

// word reports whether token i is letters only.
func (f *finder) word(i int) bool {
	return i >= 0 && i < len(f.toks) && f.toks[i].letters && !f.toks[i].digits
}

// at looks for an identifier starting at or ending with token i and
// returns the next token to look at.
func (f *finder) at(i int) int {
	t := f.toks[i]
	if f.mayStartStructured(i) {
		if next, ok := f.structured(i); ok {
			return next
		}
	}
	if t.is(fDigitWord) || t.digits && !t.letters || spokenStart(t.low) {
		if next, ok := f.spokenNumber(i); ok {
			return next
		}
	}
	if !t.letters || t.digits {
		return i + 1
	}
	switch {
	case t.low == "only" && f.low(i-1) == "the":
		return f.role(i + 1)
	case t.low == "as" && f.is(i-1, fWorkVerb):
		j := i + 1
		if a := f.low(j); a == "a" || a == "an" {
			j++
		}
		return f.role(j)
	case (t.low == "at" || t.low == "for" || t.low == "by") && f.is(i-1, fWorkVerb):
		return f.workplace(i + 1)
	case t.is(fTitle) && f.near(i+1) && f.nameAfterCue(i+1, true):
		return f.name(i + 1)
	case t.is(fIntro) && f.near(i+1) && f.nameAfterCue(i+1, false):
		return f.name(i + 1)
	case t.low == "is" && f.low(i-1) == "name" && f.nameAfterCue(i+1, false):
		return f.name(i + 1)
	case t.is(fRelation) && f.owner(i-1) && f.near(i+1) && f.nameAfterCue(i+1, false):
		return f.name(i + 1)
	case f.addressee(i) && f.joined(i+1) && f.word(i+1) && !f.mayStartStructured(i+1) && !f.is(i+1, fFunction) && !f.proper(f.toks[i+1]) &&
		(f.person(f.toks[i+1]) || !f.common(f.toks[i+1])):
		return f.name(i + 1)
	case f.selfDescription(i):
		j := i + 1
		if a := f.low(j); a == "a" || a == "an" {
			j++
		}
		return f.describedRole(j)
	case t.is(fFounder) && f.capital(i) && f.joined(i+1) && f.word(i+1) && f.capital(i+1) && !f.proper(f.toks[i+1]):
		j := f.nameEnd(i + 2)
		f.add(i, j, KindPlace) // a school or church named after someone
		return j
	case t.low == "the" && t.cap && f.low(i+1) == "old" && f.joined(i+1) && f.capital(i+1) && i+2 < len(f.toks) && f.joined(i+2) && f.capital(i+2):
		f.add(i, i+3, KindAddress) // "The Old Forge"
		return i + 3
	case t.low == "our" && f.low(i+1) == "lady" && f.joined(i+1) && f.capital(i+1):
		j := i + 2
		if f.low(j) == "of" && f.joined(j) {
			j = max(j, f.capitalRun(j+1))
		}
		f.add(i, j, KindPlace)
		return j
	}
	if f.suffix(t) {
		f.suffixed(i)
	}
	if (t.low == "st" || t.low == "saint") && f.joined(i+1) && f.word(i+1) && !f.is(i+1, fFunction) && !f.suffix(f.toks[i+1]) {
		j := i + 2
		k := KindPlace
		for j < len(f.toks) && f.joined(j) && f.suffix(f.toks[j]) {
			if f.is(j, fSchoolSuffix) {
				k = KindSchool
			}
			j++
		}
		f.add(i, j, k)
		return j
	}
	if t.is(fSchoolPrefix) || t.is(fStreetPrefix) {
		if j := f.prefixRun(i + 1); j > i+1 {
			k, start := KindPlace, i
			if t.is(fSchoolPrefix) {
				k = KindSchool
			} else if i > 0 && f.joined(i) && houseNumber(f.toks[i-1]) {
				k, start = KindAddress, i-1 // "3 stryd fawr"
			}
			f.add(start, j, k)
			return j
		}
	}
	if j, ok := f.phrase(i, fPlacePhrase, f.l.placePhrases); ok && (f.capital(i) || f.anyUncommon(i, j)) {
		f.add(i, j, KindPlace)
		return j
	}
	if j, ok := f.phrase(i, fEmployerPhrase, f.l.employerPhrases); ok && f.capital(i) {
		f.add(i, j, KindWorkplace)
		return j
	}
	if f.capital(i) {
		return f.capitalised(i)
	}
	return f.lower(i)
}

// anyUncommon reports whether a word among tokens [i, j) is not common.
func (f *finder) anyUncommon(i, j int) bool {
	for k := i; k < j; k++ {
		if !f.common(f.toks[k]) {
			return true
		}
	}
	return false
}

// selfDescription reports whether token i ends "I am", "I'm" or "being"
// before "a" or "an": what follows may describe who the writer is.
func (f *finder) selfDescription(i int) bool {
	if a := f.low(i + 1); a != "a" && a != "an" {
		return false
	}
	switch f.low(i) {
	case "i'm", "im", "being":
		return true
	case "am":
		return f.low(i-1) == "i"
	case "as":
		return !f.is(i-1, fWorkVerb)
	}
	return false
}

// describedRole records a description of the writer when it holds a word
// that, with a place, singles someone out: an occupation, a faith, a
// nationality, a disability ("a Deaf mum", "a Kurdish hairdresser").
func (f *finder) describedRole(i int) int {
	j, telling := i, false
	for j < len(f.toks) && j-i < 4 && (j == i || f.joined(j)) && f.word(j) {
		t := f.toks[j]
		if t.is(fFunction) || t.is(fSpeech) || roleStop(t.low) {
			break
		}
		if t.is(fOccupation) || t.is(fDescriptor) || (f.proper(t) && t.cap) {
			telling = true
		}
		j++
	}
	if !telling {
		return i
	}
	f.add(i, j, KindRole)
	return j
}

// addressee reports whether token i is a verb whose object is often a
// person: "thank", "ask", "spoke to".
func (f *finder) addressee(i int) bool {
	switch f.low(i) {
	case "thank", "thanks", "ask", "tell", "told", "phone", "ring", "email", "text", "message", "cc":
		return true
	case "to", "with":
		switch f.low(i - 1) {
		case "spoke", "speak", "speaking", "spoken", "talk", "talked", "talking", "chat", "chatted", "chatting", "wrote", "write", "writing", "complained", "explained", "reported", "referred", "passed", "sent", "gave":
			return true
		}
	}
	return false
}

// owner reports whether token i is a possessive or article before a
// relation ("my son", "the officer").
func (f *finder) owner(i int) bool {
	switch f.low(i) {
	case "my", "our", "his", "her", "their", "your", "the", "a", "an", "me", "mine":
		return true
	}
	return false
}

// nameAfterCue reports whether token i, after a cue such as a title, is a
// name. strong cues (titles) take any capitalised word.
func (f *finder) nameAfterCue(i int, strong bool) bool {
	if !f.word(i) || f.mayStartStructured(i) {
		return false
	}
	t := f.toks[i]
	if f.proper(t) || t.is(fFunction) {
		return false
	}
	if f.capital(i) {
		return strong || f.person(t) || !f.common(t)
	}
	if !f.common(t) {
		return true
	}
	// A name that is also a word ("will", "grace") needs more: a verb of
	// speech or the end of the clause after it.
	if f.person(t) {
		return f.is(i+1, fSpeech) || i+1 == len(f.toks) || !f.joined(i+1)
	}
	return false
}

// name records a name starting at token i, with the name words after it.
func (f *finder) name(i int) int {
	j := f.nameEnd(i + 1)
	f.add(i, j, KindName)
	return j
}

// nameEnd returns the end of the name words from token j on.
func (f *finder) nameEnd(j int) int {
	for n := 0; n < 3 && j < len(f.toks) && f.joined(j) && f.word(j); n++ {
		t := f.toks[j]
		if f.proper(t) || f.suffix(t) || t.is(fSpeech) {
			break
		}
		switch {
		case t.is(fParticle) && j+1 < len(f.toks) && f.joined(j+1) && f.word(j+1) && (f.capital(j+1) || !f.common(f.toks[j+1])):
			j += 2
			continue
		case f.capital(j):
			if t.is(fFunction) {
				return j
			}
		default:
			if f.toks[j-1].cap || f.common(t) {
				return j // a lower-case word after a capitalised name is not part of it
			}
		}
		j++
	}
	return j
}

// capitalised handles a capitalised word that no cue explained.
func (f *finder) capitalised(i int) int {
	t := f.toks[i]
	if f.proper(t) || t.is(fTitle) || t.is(fFunction) {
		return i + 1
	}
	if t.upper && !f.person(t) {
		return i + 1 // an acronym ("IDVA", "NFA'd"); a surname in capitals is in the lists
	}
	common := f.common(t)
	if t.sent && common {
		// "Will you…", "Grace was…": a common word at the start of a
		// sentence is a name only if more of a name follows.
		if f.person(t) && (f.is(i+1, fSpeech) || f.low(i+1) == "who" ||
			(i+1 < len(f.toks) && f.joined(i+1) && f.capital(i+1) && !f.common(f.toks[i+1]) && !f.suffix(f.toks[i+1])) ||
			(f.low(i+1) == "and" && i+2 < len(f.toks) && f.capital(i+2) && (f.person(f.toks[i+2]) || !f.common(f.toks[i+2])))) {
			return f.name(i)
		}
		return i + 1
	}
	if t.is(fEmployer) {
		f.add(i, i+1, KindWorkplace)
		return i + 1
	}
	if common && !f.person(t) && !f.place(t) {
		return i + 1
	}
	if f.place(t) && (!t.is(fFirst) || f.placeCue(i)) {
		j := i + 1
		f.add(i, j, KindPlace)
		return j
	}
	if !f.person(t) && f.placeCue(i) {
		j := max(i+1, f.capitalRun(i))
		f.add(i, j, KindPlace)
		return j
	}
	return f.name(i)
}

// lower handles a lower-case word that no cue explained.
func (f *finder) lower(i int) int {
	t := f.toks[i]
	if t.is(fFirst) && !t.is(fFunction) && !f.owner(i-1) && !f.is(i-1, fFunction) &&
		(f.is(i+1, fSpeech) || f.low(i+1) == "who") && f.joined(i+1) {
		return f.name(i)
	}
	if f.common(t) || f.proper(t) {
		return i + 1
	}
	switch {
	case t.is(fFirst):
		return f.name(i)
	case f.place(t):
		f.add(i, i+1, KindPlace)
		return i + 1
	case t.is(fEmployer):
		f.add(i, i+1, KindWorkplace)
		return i + 1
	case len(t.low) >= 3 && !f.knownForm(t.low) && !f.l.slip(t.low):
		// A word in no list and no slip of the keyboard away from an
		// English word: a name or a place written in lower case.
		if f.placeCue(i) {
			f.add(i, i+1, KindPlace)
			return i + 1
		}
		return f.name(i)
	}
	return i + 1
}

// knownForm reports whether w is a common word with a prefix or an ending
// the word list leaves out ("rehoused", "unhelpfulness").
func (f *finder) knownForm(w string) bool {
	stems := []string{w}
	for _, p := range []string{"re", "un", "pre", "over", "under", "mis", "non", "dis", "out", "co", "ex", "self", "anti", "semi", "sub", "super", "inter", "multi"} {
		if len(w) > len(p)+2 && w[:len(p)] == p {
			stems = append(stems, strings.TrimPrefix(w[len(p):], "-"))
		}
	}
	for _, s := range stems {
		if f.l.common(s) {
			return true
		}
		for _, suf := range []string{"s", "es", "ed", "d", "ing", "ly", "er", "ers", "ness", "ment", "ments", "ful", "less", "able", "ish", "y", "ity", "ise", "ised", "ize", "ized"} {
			if len(s) > len(suf)+2 && strings.HasSuffix(s, suf) {
				stem := s[:len(s)-len(suf)]
				if f.l.common(stem) || f.l.common(stem+"e") || (len(stem) > 2 && stem[len(stem)-1] == stem[len(stem)-2] && f.l.common(stem[:len(stem)-1])) {
					return true
				}
			}
		}
	}
	return false
}

// placeCue reports whether the words before token i say a place follows.
func (f *finder) placeCue(i int) bool {
	prev := f.low(i - 1)
	switch {
	case f.is(i-1, fPlaceBefore):
		return true
	case prev == "of":
		switch f.low(i - 2) {
		case "village", "town", "city", "area", "outskirts", "centre", "middle", "county", "estate":
			return true
		}
	case prev == "to":
		return f.is(i-2, fMoveVerb)
	}
	return false
}

// capitalRun returns the end of the run of capitalised words from token i.
func (f *finder) capitalRun(i int) int {
	j := i
	for j < len(f.toks) && (j == i || f.joined(j)) && f.word(j) && (f.capital(j) || (f.shouting && !f.is(j, fFunction))) && j-i < 4 {
		j++
	}
	return j
}

// prefixRun returns the end of the name after "Ysgol" or "Heol": up to
// three capitalised or uncommon words.
func (f *finder) prefixRun(i int) int {
	j := i
	for j < len(f.toks) && j-i < 3 && f.joined(j) && f.word(j) && !f.is(j, fFunction) &&
		(f.capital(j) || !f.common(f.toks[j]) || f.place(f.toks[j])) {
		j++
	}
	return j
}

// phrase matches a multi-word entry of ph starting at token i.
func (f *finder) phrase(i int, starts trait, ph phrases) (int, bool) {
	if !f.toks[i].is(starts) {
		return 0, false
	}
	rests, ok := ph[f.toks[i].low]
	if !ok {
		return 0, false
	}
next:
	for _, rest := range rests {
		j := i + 1
		for _, w := range rest {
			if j >= len(f.toks) || !f.joined(j) || f.toks[j].low != w {
				continue next
			}
			j++
		}
		return j, true
	}
	return 0, false
}

// suffixed handles a word such as "School", "Road" or "Hospital" that ends
// the name of a school, street, house or workplace: the words before it are
// its name when they are capitalised or uncommon ("Oakfield Primary",
// "heol tawe"), or common words with a cue before them ("on green lane",
// "44 station road", "the general infirmary").
func (f *finder) suffixed(i int) {
	t := f.toks[i]
	street := t.is(fStreetSuffix)
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
	f.add(i, j, KindWorkplace)
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

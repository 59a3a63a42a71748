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
	speltTo  int  // tokens before it are in a run of single characters already tried
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
	f.online()
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
			return f.spokenRest(next)
		}
	}
	if t.is(fDigitWord) || t.digits && !t.letters || spokenStart(t.low) {
		if next, ok := f.spokenNumber(i); ok {
			return next
		}
	}
	if f.districtAsPlace(i) {
		f.add(i, i+1, KindPostcode)
		return i + 1
	}
	if !t.letters || t.digits {
		return i + 1
	}
	switch {
	case t.is(fPlatform):
		return f.account(i)
	case t.low == "postcode" || t.low == "postcode's" || t.low == "code" && f.low(i-1) == "post":
		return f.district(i)
	case t.low == "initials" && f.named(i+1) && f.toks[i+1].cap:
		return f.initials(i + 1)
	case t.is(fBirth) && f.birthCue(i):
		return f.birth(i)
	case (t.is(fNick) || f.is(i-1, fNick)) && f.nickname(i) && f.near(i+1) && f.nameAfterCue(f.calledFrom(i+1), true):
		return f.name(f.calledFrom(i + 1))
	case t.low == "only" && f.low(i-1) == "the":
		return f.role(i + 1)
	case t.low == "as" && f.is(i-1, fWorkVerb):
		j := i + 1
		if a := f.low(j); a == "a" || a == "an" {
			j++
		}
		return f.role(j)
	case (t.low == "at" || t.low == "for" || t.low == "by") && f.is(i-1, fWorkVerb|fOccupation) && !f.is(i-1, fFunction):
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

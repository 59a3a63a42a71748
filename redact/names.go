package redact

import "strings"

// The words of a name: what makes a run of tokens a person's name, and
// where it ends.

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
// nationality, a disability ("a Deaf mum", "a Kurdish hairdresser"), with
// the age before it if one is given ("a 45 year old Kurdish taxi driver").
func (f *finder) describedRole(i int) int {
	j := f.ageEnd(i)
	from, telling := j, false
	for j < len(f.toks) && j-from < 4 && (j == from || f.joined(j)) && f.word(j) {
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

// ageEnd returns the end of an age at token i ("45 year old", "45-year-old",
// "45yo"), or i.
func (f *finder) ageEnd(i int) int {
	if i >= len(f.toks) || !f.toks[i].digits {
		return i
	}
	switch w := f.toks[i].low; {
	case strings.HasSuffix(w, "-year-old") || strings.HasSuffix(w, "yo") && allDigits(strings.TrimSuffix(w, "yo")):
		return i + 1
	case allDigits(w) && len(w) <= 3 && (f.low(i+1) == "year" || f.low(i+1) == "years") && f.low(i+2) == "old":
		return i + 3
	}
	return i
}

// initials records the initials from token i on, after the word
// "initials": "initials D.K.", "initials J M", "initials DK". It returns
// the next token to look at.
func (f *finder) initials(i int) int {
	j := i
	for j < len(f.toks) && j-i < 4 && (j == i || f.gap(j) == "." || f.gap(j) == ". " || f.gap(j) == " ") && single(f.toks[j]) {
		j++
	}
	if j == i && f.toks[i].upper && len(f.toks[i].low) <= 3 {
		j++ // "initials DK"
	}
	if j > i {
		f.add(i, j, KindName)
	}
	return max(j, i+1)
}

// nickname reports whether token i ends words after which whatever comes
// is what someone is called, even a common word: "they call him Smudge",
// "known as Tiny", "goes by Big Tony", "the name of", "nicknamed".
func (f *finder) nickname(i int) bool {
	switch f.low(i) {
	case "nicknamed", "nickname", "alias":
		return true
	case "call", "calls", "called":
		switch f.low(i - 1) {
		case "they", "everyone", "everybody", "people", "we", "all", "lads", "friends", "mates":
			return true
		}
	case "as":
		return f.low(i-1) == "known"
	case "by":
		switch f.low(i - 1) {
		case "goes", "go", "went", "going":
			return true
		}
	case "of":
		return f.low(i-1) == "name"
	case "is", "was":
		return f.low(i-1) == "nickname"
	}
	return false
}

// calledFrom returns where a name begins from token j on, after the
// person it is said of: "call [him] Smudge".
func (f *finder) calledFrom(j int) int {
	switch f.low(j) {
	case "him", "her", "me", "them", "himself", "herself", "is", "was":
		if f.near(j + 1) {
			return j + 1
		}
	}
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
		case f.shouting && t.upper && !t.is(fFunction) && (f.person(t) || !f.common(t)):
			// "KAREN HUGHES" in a text all in capitals
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
	if t.is(fFirst) && !t.is(fFunction) && f.joined(i+1) && f.word(i+1) && f.lowerName(i+1) {
		return f.name(i) // "will jones", "john d'souza": a first name that is also a word, with its surname
	}
	if f.common(t) || f.proper(t) {
		return i + 1
	}
	switch {
	case t.is(fLast) && !f.place(t):
		return f.name(i) // "jones", "patel": a surname that is no word
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

// lowerName reports whether token i, in lower case, is a surname or a word
// in no list and no slip from one: what the rules below take for a name.
func (f *finder) lowerName(i int) bool {
	t := f.toks[i]
	if t.cap || f.common(t) || f.proper(t) || f.place(t) || t.is(fFunction) {
		return false
	}
	return t.is(fLast) || len(t.low) >= 3 && !f.knownForm(t.low) && !f.l.slip(t.low)
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

package redact

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed lexicon/*.txt
var lexiconFiles embed.FS

// phrases maps the first word of each multi-word entry to the rest of it,
// longest first: a trie one word deep, so that matching costs one lookup per
// word whatever the size of the list.
type phrases map[string][][]string

// lexicon holds what every word is (its flags) and the lists of several
// words.
type lexicon struct {
	dict                          map[string]trait
	placePhrases, employerPhrases phrases
	// deletes holds the hash of every common word with one letter taken
	// out, and hashes the hash of every common word: together they say in
	// a few lookups whether a word is one slip from a common one.
	deletes, hashes map[uint64]struct{}
}

// common reports whether w is a common English word.
func (l *lexicon) common(w string) bool { return l.dict[w]&fWord != 0 }

func loadLexicon() (*lexicon, error) {
	l := &lexicon{dict: make(map[string]trait, 110_000)}
	for _, f := range []struct {
		name    string
		fl      trait
		phrases *phrases
		first   trait
	}{
		{"words.txt", fWord, nil, 0},
		{"first_names.txt", fFirst, nil, 0},
		{"names_extra.txt", fFirst, nil, 0},
		{"surnames.txt", fLast, nil, 0},
		{"places.txt", fPlace, &l.placePhrases, fPlacePhrase},
		{"propers.txt", fProper, nil, 0},
		{"employers.txt", fEmployer, &l.employerPhrases, fEmployerPhrase},
		{"occupations.txt", fOccupation, nil, 0},
		{"descriptors.txt", fDescriptor, nil, 0},
	} {
		if err := l.readList(f.name, f.fl, f.phrases, f.first); err != nil {
			return nil, err
		}
	}
	for fl, words := range cues() {
		for _, w := range words {
			l.dict[w] |= fl
		}
	}
	l.indexSlips()
	return l, nil
}

// indexSlips fills deletes and hashes from the common words.
func (l *lexicon) indexSlips() {
	l.deletes = make(map[uint64]struct{}, 600_000)
	l.hashes = make(map[uint64]struct{}, 70_000)
	for w, t := range l.dict {
		if t&fWord == 0 || !isASCII(w) {
			continue
		}
		l.hashes[hashSkip(w, -1)] = struct{}{}
		for i := range len(w) {
			l.deletes[hashSkip(w, i)] = struct{}{}
		}
	}
}

// hashSkip is the FNV-1a hash of w without its byte at skip (none if -1).
func hashSkip(w string, skip int) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(w) {
		if i != skip {
			h ^= uint64(w[i])
			h *= 1099511628211
		}
	}
	return h
}

// maxSlip is the longest word tried for a slip: longer than any common
// English word by one, and short enough that a long run of letters costs its
// length, not its square.
const maxSlip = 32

// slip reports whether w is one edit from a common word: a letter too
// many, too few, changed, or two swapped. (A shared deletion stands for the
// last two, so a few words two edits away count too.)
func (l *lexicon) slip(w string) bool {
	if !isASCII(w) || len(w) > maxSlip {
		return false // and a word longer than any English word is no slip of one
	}
	if _, ok := l.deletes[hashSkip(w, -1)]; ok { // a letter too few
		return true
	}
	for i := range len(w) {
		h := hashSkip(w, i)
		if _, ok := l.hashes[h]; ok { // a letter too many
			return true
		}
		if _, ok := l.deletes[h]; ok { // changed or swapped
			return true
		}
	}
	return false
}

// readList reads one list: a line per entry, # starts a comment. Single
// words get fl; entries of several words go to ph, when it is given, and
// their first word gets first.
func (l *lexicon) readList(name string, fl trait, ph *phrases, first trait) error {
	f, err := lexiconFiles.Open("lexicon/" + name)
	if err != nil {
		return fmt.Errorf("redact: word list %s: %w", name, err)
	}
	defer f.Close()
	if ph != nil {
		*ph = phrases{}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 1 || ph == nil {
			l.dict[line] |= fl
			continue
		}
		(*ph)[fields[0]] = append((*ph)[fields[0]], fields[1:])
		l.dict[fields[0]] |= first
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("redact: word list %s: %w", name, err)
	}
	if ph != nil {
		for _, v := range *ph {
			slices.SortStableFunc(v, func(a, b []string) int { return len(b) - len(a) }) // longest first
		}
	}
	return nil
}

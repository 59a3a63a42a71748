package redact

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
)

//go:embed lexicon/*.txt
var lexiconFiles embed.FS

// set is a set of lower-case words.
type set map[string]struct{}

func (s set) has(w string) bool { _, ok := s[w]; return ok }

// phrases maps the first word of each multi-word entry to the rest of it,
// longest first: a trie one word deep, so that matching costs one lookup per
// word whatever the size of the list.
type phrases map[string][][]string

// lexicon holds the word lists and the cue words the detectors use.
type lexicon struct {
	words, first, last, places, propers, employers set
	occupations, descriptors                       set
	placePhrases, employerPhrases                  phrases
	cues                                           cues
}

func loadLexicon() (*lexicon, error) {
	l := &lexicon{cues: newCues()}
	for _, f := range []struct {
		name    string
		into    *set
		phrases *phrases
	}{
		{"words.txt", &l.words, nil},
		{"first_names.txt", &l.first, nil},
		{"surnames.txt", &l.last, nil},
		{"places.txt", &l.places, &l.placePhrases},
		{"propers.txt", &l.propers, nil},
		{"employers.txt", &l.employers, &l.employerPhrases},
		{"occupations.txt", &l.occupations, nil},
		{"descriptors.txt", &l.descriptors, nil},
	} {
		if err := readList(f.name, f.into, f.phrases); err != nil {
			return nil, err
		}
	}
	var extra set
	if err := readList("names_extra.txt", &extra, nil); err != nil {
		return nil, err
	}
	for w := range extra {
		l.first[w] = struct{}{}
	}
	return l, nil
}

// readList reads one list: a line per entry, # starts a comment. Entries of
// several words go to ph when it is given, single words to into.
func readList(name string, into *set, ph *phrases) error {
	f, err := lexiconFiles.Open("lexicon/" + name)
	if err != nil {
		return fmt.Errorf("redact: word list %s: %w", name, err)
	}
	defer f.Close()
	*into = set{}
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
			(*into)[line] = struct{}{}
			continue
		}
		(*ph)[fields[0]] = append((*ph)[fields[0]], fields[1:])
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("redact: word list %s: %w", name, err)
	}
	if ph != nil {
		for k, v := range *ph {
			sortLongestFirst(v)
			(*ph)[k] = v
		}
	}
	return nil
}

func sortLongestFirst(v [][]string) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && len(v[j]) > len(v[j-1]); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

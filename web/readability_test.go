package web

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

// syllables estimates the syllables of an English word: groups of vowels,
// less a silent final e, at least one.
func syllables(word string) int {
	w := strings.ToLower(strings.TrimFunc(word, func(r rune) bool { return !unicode.IsLetter(r) }))
	if w == "" {
		return 0
	}
	n, prev := 0, false
	for _, r := range w {
		v := strings.ContainsRune("aeiouy", r)
		if v && !prev {
			n++
		}
		prev = v
	}
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	return max(n, 1)
}

// TestPublicTextReadingAge measures the English text a person reads on the
// public pages with the Flesch-Kincaid grade (US school grade; add 5 for a
// reading age) and holds it at grade 4.5 or below: a reading age of about
// 9, as the issue asks.
func TestPublicTextReadingAge(t *testing.T) {
	raw, err := messageFS.ReadFile("messages/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var sentences, words, syl int
	for k, v := range m {
		// The prose a person reads (messages that end a sentence), not
		// labels, buttons, month names or the screen reader's words.
		if !strings.HasSuffix(v, ".") || strings.HasPrefix(k, "exit.") {
			continue
		}
		v = strings.NewReplacer("%s", "Victim Support", "(", "", ")", "").Replace(v)
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '?' || r == '!' || r == ':' }) {
			ws := strings.Fields(s)
			if len(ws) == 0 {
				continue
			}
			sentences++
			words += len(ws)
			for _, w := range ws {
				syl += syllables(w)
			}
		}
	}
	grade := 0.39*float64(words)/float64(sentences) + 11.8*float64(syl)/float64(words) - 15.59
	t.Logf("%d sentences, %d words, %.2f words a sentence, %.2f syllables a word: Flesch-Kincaid grade %.1f (reading age about %.0f)",
		sentences, words, float64(words)/float64(sentences), float64(syl)/float64(words), grade, grade+5)
	if grade > 4.5 {
		t.Errorf("the public pages' English reads at grade %.1f, want 4.5 or below (a reading age of about 9)", grade)
	}
}

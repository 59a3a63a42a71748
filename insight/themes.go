package insight

import (
	"math"
	"strings"
	"unicode"
)

// lexicon scores words from -5 to 5 in the manner of AFINN-165, curated for
// feedback about public services; a word not in it scores 0.
var lexicon = map[string]int{
	"abandoned": -3, "afraid": -2, "amazing": 4, "angry": -3, "anxious": -2, "appalling": -4, "appreciated": 2,
	"awful": -3, "bad": -3, "blamed": -2, "brilliant": 4, "calm": 2, "careless": -2, "caring": 2, "clear": 1,
	"compassionate": 3, "confused": -2, "considerate": 2, "dismissed": -2, "dismissive": -3, "disappointed": -2,
	"disappointing": -2, "disbelieved": -3, "disgusted": -3, "distressed": -2, "easy": 1, "excellent": 3,
	"fantastic": 4, "fault": -1, "frightened": -2, "frustrated": -2, "frustrating": -2, "good": 3, "grateful": 3,
	"great": 3, "happy": 3, "helpful": 2, "helped": 2, "hopeless": -3, "horrible": -3, "humiliated": -3,
	"ignored": -2, "impossible": -2, "kind": 2, "late": -1, "lost": -2, "listened": 2, "lovely": 3, "nervous": -2,
	"patient": 2, "poor": -2, "professional": 2, "quick": 2, "reassured": 2, "reassuring": 2, "relieved": 2,
	"respected": 2, "respectful": 2, "rude": -3, "sad": -2, "safe": 1, "scared": -2, "slow": -2, "sorry": -1,
	"supported": 2, "supportive": 2, "terrible": -3, "thank": 2, "thanks": 2, "thankful": 2, "understanding": 2,
	"unhelpful": -2, "unsafe": -3, "upset": -2, "useless": -2, "waste": -2, "worried": -2, "worse": -3, "worst": -3,
}

// negators flip the score of a word within the three words after them.
var negators = map[string]bool{
	"not": true, "no": true, "never": true, "nobody": true, "nothing": true, "didn't": true, "don't": true,
	"wasn't": true, "weren't": true, "isn't": true, "couldn't": true, "won't": true, "hardly": true, "without": true,
}

// Themes are the themes comments are counted by, with the words that mark them.
var themes = map[string][]string{
	"waiting":        {"wait", "waited", "waiting", "delay", "delayed", "slow", "late", "weeks", "months", "ages", "chase", "chased"},
	"communication":  {"call", "called", "rang", "update", "updates", "updated", "told", "letter", "email", "informed", "explained", "contact"},
	"being_believed": {"believed", "believe", "disbelieved", "doubted", "fault", "blamed", "listened", "dismissed"},
	"safety":         {"safe", "unsafe", "scared", "afraid", "frightened", "threatening", "threatened", "threat", "protect", "protected"},
	"respect":        {"respect", "respected", "respectful", "rude", "dismissive", "kind", "polite", "dignity", "patronising", "humiliated"},
}

// ThemeNames lists the themes, in order.
func ThemeNames() []string {
	return []string{"being_believed", "communication", "respect", "safety", "waiting"}
}

func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '’'
	})
}

// Sentiment scores a text: the sum of its words' lexicon scores, a word's
// score flipped when one of the three words before it negates.
func Sentiment(text string) int {
	ws := words(text)
	score := 0
	for i, w := range ws {
		s := lexicon[strings.ReplaceAll(w, "’", "'")]
		if s == 0 {
			continue
		}
		for j := max(0, i-3); j < i; j++ {
			if negators[strings.ReplaceAll(ws[j], "’", "'")] {
				s = -s
				break
			}
		}
		score += s
	}
	return score
}

// ThemesOf returns the themes a text mentions.
func ThemesOf(text string) []string {
	set := map[string]bool{}
	for _, w := range words(text) {
		set[w] = true
	}
	var out []string
	for _, name := range ThemeNames() {
		for _, w := range themes[name] {
			if set[w] {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// summarizeComments counts, over redacted comments, how many mention each
// theme (withheld, nil, when fewer than k) and their mean sentiment.
func summarizeComments(redacted []string, k int) (map[string]*int, *float64) {
	counts := map[string]int{}
	total := 0
	for _, c := range redacted {
		for _, t := range ThemesOf(c) {
			counts[t]++
		}
		total += Sentiment(c)
	}
	out := map[string]*int{}
	for _, name := range ThemeNames() {
		if n := counts[name]; n >= k {
			out[name] = &n
		} else {
			out[name] = nil
		}
	}
	if len(redacted) < k {
		return out, nil
	}
	mean := math.Round(float64(total)/float64(len(redacted))*10) / 10
	return out, &mean
}

package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: letters and digits, with apostrophes and
// hyphens inside it ("O'Neill", "Pryce-Jones").
type token struct {
	start, end int
	low        string // lower case, apostrophes as "'"
	cap        bool   // starts with a capital
	upper      bool   // two or more letters, all capitals
	digits     bool   // holds a digit
	letters    bool   // holds a letter
	sent       bool   // first word of a sentence
	fl         trait  // what the word is, from the lexicon
}

// is reports whether the token has any of the flags in m.
func (t token) is(m trait) bool { return t.fl&m != 0 }

// tokenize appends the tokens of text to toks.
func tokenize(text string, toks []token) []token {
	sentence := true
	i := 0
	for i < len(text) {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) {
			switch r {
			case '.':
				// An initial ("J. Smith") ends no sentence.
				if n := len(toks); n == 0 || toks[n-1].end != i || toks[n-1].end-toks[n-1].start != 1 || !toks[n-1].cap {
					sentence = true
				}
			case '!', '?', '\n', '\r':
				sentence = true
			}
			i += size
			continue
		}
		t := token{start: i, sent: sentence}
		sentence = false
		t.cap = unicode.IsUpper(r)
		upper, anyUpper, ascii, nLetters := true, false, true, 0
		j := i
		for j < len(text) {
			if c := text[j]; c < utf8.RuneSelf { // the common case, without a call
				switch {
				case 'a' <= c && c <= 'z':
					t.letters, upper = true, false
					nLetters++
					j++
					continue
				case 'A' <= c && c <= 'Z':
					t.letters, anyUpper = true, true
					nLetters++
					j++
					continue
				case '0' <= c && c <= '9':
					t.digits = true
					j++
					continue
				}
			}
			r, size := rune(text[j]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(text[j:])
				ascii = false
			}
			if isWordRune(r) {
				if '0' <= r && r <= '9' || r >= utf8.RuneSelf && unicode.IsDigit(r) {
					t.digits = true
				} else {
					t.letters = true
					nLetters++
					if 'A' <= r && r <= 'Z' || r >= utf8.RuneSelf && unicode.IsUpper(r) {
						anyUpper = true
					} else {
						upper = false
					}
				}
				j += size
				continue
			}
			// An apostrophe or hyphen joins two parts of one word.
			if (r == '\'' || r == '’' || r == '-') && j+size < len(text) {
				next, _ := utf8.DecodeRuneInString(text[j+size:])
				if isWordRune(next) {
					j += size
					continue
				}
			}
			break
		}
		t.end = j
		t.upper = upper && nLetters >= 2
		switch word := text[t.start:t.end]; {
		case ascii && !anyUpper:
			t.low = word // most words: no copy
		case ascii:
			t.low = strings.ToLower(word)
		default:
			t.low = strings.ReplaceAll(strings.ToLower(word), "’", "'")
		}
		toks = append(toks, t)
		i = j
	}
	return toks
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

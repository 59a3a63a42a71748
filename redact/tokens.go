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
	base       string // low without a possessive "'s"
	cap        bool   // starts with a capital
	upper      bool   // two or more letters, all capitals
	digits     bool   // holds a digit
	letters    bool   // holds a letter
	sent       bool   // first word of a sentence
}

// tokenize splits text into tokens. lowered is strings.ToLower(text) when
// text is ASCII (then offsets agree), or "".
func tokenize(text string, toks []token) []token {
	ascii := isASCII(text)
	var lowered string
	if ascii {
		lowered = asciiLower(text)
	}
	sentence := true
	i := 0
	for i < len(text) {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) {
			switch r {
			case '.', '!', '?', '\n', '\r':
				sentence = true
			}
			i += size
			continue
		}
		t := token{start: i, sent: sentence}
		sentence = false
		t.cap = unicode.IsUpper(r)
		upper, nLetters := true, 0
		j := i
		for j < len(text) {
			r, size := rune(text[j]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(text[j:])
			}
			if isWordRune(r) {
				if unicode.IsDigit(r) {
					t.digits = true
				} else {
					t.letters = true
					nLetters++
					if !unicode.IsUpper(r) {
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
		if ascii {
			t.low = lowered[t.start:t.end]
		} else {
			t.low = strings.ReplaceAll(strings.ToLower(text[t.start:t.end]), "’", "'")
		}
		t.base = strings.TrimSuffix(t.low, "'s")
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

func asciiLower(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

package redact

import "strings"

// emails finds addresses written with "@" ("jane@example.com", "jane @
// example . com") and handles ("@jane_doe").
func (f *finder) emails() {
	text := f.text
	for at := strings.IndexByte(text, '@'); at >= 0; {
		if start, end, ok := spacedEmail(text, at); ok {
			f.spans = append(f.spans, Span{start, end, KindEmail})
		}
		start := at
		if start > 0 && text[start-1] == ' ' {
			start--
		}
		for start > 0 && localByte(text[start-1]) {
			start--
		}
		if start < at && text[start] == ' ' {
			start++
		}
		end, labels, good := at+1, 0, 0 // good: the end of the longest domain seen that ends well
		if end < len(text) && text[end] == ' ' {
			end++
		}
		for {
			e := end
			for e < len(text) && (isLetter(text[e]) || isDigit(text[e]) || text[e] == '-') {
				e++
			}
			if e == end {
				break
			}
			labels++
			if last := text[end:e]; labels >= 2 && len(last) >= 2 && allLetters(last) {
				good = e
			}
			end = e
			d := end
			if d < len(text) && text[d] == ' ' && d+1 < len(text) && text[d+1] == '.' {
				d++
			}
			if d < len(text) && text[d] == '.' && d+1 < len(text) && (isLetter(text[d+1]) || text[d+1] == ' ' && d+2 < len(text) && isLetter(text[d+2])) {
				end = d + 1
				if text[end] == ' ' {
					end++
				}
				continue
			}
			if k := spokenDot(text, end); k > end { // "jane@gmail dot com"
				end = k
				continue
			}
			break
		}
		switch {
		case start < at && good > 0:
			f.spans = append(f.spans, Span{start, good, KindEmail})
		case (at == 0 || !localByte(text[at-1])) && at+1 < len(text) && (isLetter(text[at+1]) || isDigit(text[at+1]) || text[at+1] == '_'):
			e := at + 1
			for e < len(text) && e-at <= 30 && (isLetter(text[e]) || isDigit(text[e]) || text[e] == '_' || text[e] == '.') {
				e++
			}
			for text[e-1] == '.' {
				e--
			}
			f.spans = append(f.spans, Span{at, e, KindHandle})
		}
		next := strings.IndexByte(text[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
}

func localByte(b byte) bool {
	return isLetter(b) || isDigit(b) || b == '.' || b == '_' || b == '%' || b == '+' || b == '-'
}

// spacedEmail finds an address spelt out a character at a time around the
// "@" at text[at]: "j a n e @ g m a i l . c o m". It needs two characters
// or more before the "@", and after it a dot and a last label of two
// letters or more.
func spacedEmail(text string, at int) (start, end int, ok bool) {
	// alone reports whether text[k] stands by itself: no letter or digit
	// touches it on either side.
	alone := func(k int) bool {
		return (k == 0 || !alnum(text[k-1])) && (k+1 >= len(text) || !alnum(text[k+1]))
	}
	start = at
	for start >= 2 && text[start-1] == ' ' && localByte(text[start-2]) && alone(start-2) {
		start -= 2
	}
	if at-start < 4 {
		return 0, 0, false
	}
	end = at + 1
	dots, last := 0, 0 // last: the letters of the label after the last dot, -1 if it holds another character
	for end+1 < len(text) && text[end] == ' ' && alone(end+1) {
		switch c := text[end+1]; {
		case c == '.':
			dots, last = dots+1, 0
		case isLetter(c):
			if last >= 0 {
				last++
			}
		case isDigit(c) || c == '-':
			last = -1
		default:
			return 0, 0, false
		}
		end += 2
	}
	return start, end, dots >= 1 && last >= 2
}

// spokenDot returns where the label after a spoken dot at text[i:] begins
// (" dot com", " DOT co"), or i when no dot is spoken there.
func spokenDot(text string, i int) int {
	if i+6 <= len(text) && text[i] == ' ' && strings.EqualFold(text[i+1:i+4], "dot") && text[i+4] == ' ' && isLetter(text[i+5]) {
		return i + 5
	}
	return i
}

package redact

import "strings"

// A person's accounts online: profile links ("facebook.com/jane.smith.1986"),
// names of the shape only a username has ("jsmith_86", "jane.smith.1986"),
// and whatever follows the name of a platform ("her snapchat is jsmith").
// The platform or site stays readable; the account goes.

// online records profile links and username-shaped words. Only the
// chunks (runs without spaces) around a dot, an underscore or a slash are
// read, so plain words cost nothing here.
func (f *finder) online() {
	text := f.text
	for i := 0; i < len(text); {
		k := i
		for k < len(text) && !joiner(text[k]) {
			k++
		}
		if k == len(text) {
			return
		}
		start, end := k, k+1
		for start > i && chunkByte(text[start-1]) {
			start--
		}
		for end < len(text) && chunkByte(text[end]) {
			end++
		}
		f.chunk(start, trimChunk(text, start, end))
		i = end
	}
}

// chunk records what the chunk text[i:j] holds: a link's path after its
// host, or the whole chunk when it is shaped like a username.
func (f *finder) chunk(i, j int) {
	c := f.text[i:j]
	if len(c) < 4 || !hasJoiner(c) { // "word." at a sentence's end
		return
	}
	if strings.IndexByte(c, '@') >= 0 { // emails and @handles are emails()'
		return
	}
	if slash := strings.IndexByte(c, '/'); slash > 0 {
		host := c[:slash]
		if scheme, rest, ok := strings.Cut(c, "://"); ok && allLetters(scheme) {
			host, _, _ = strings.Cut(rest, "/")
			slash = len(scheme) + 3 + len(host)
		}
		if hostLike(host) && slash+1 < len(c) && hasAlnum(c[slash+1:]) {
			f.spans = append(f.spans, Span{i + slash + 1, j, KindHandle})
			return
		}
		// No link: a forum's "u/throwaway_leeds", or usernames joined by
		// slashes, each part judged alone.
		at := i
		for part := range strings.SplitSeq(c, "/") {
			if part != "" && usernameLike(part, f.l.common) {
				f.spans = append(f.spans, Span{at, at + len(part), KindHandle})
			}
			at += len(part) + 1
		}
		return
	}
	if usernameLike(c, f.l.common) {
		f.spans = append(f.spans, Span{i, j, KindHandle})
	}
}

// joiner reports whether b joins the parts of a link or a username.
func joiner(b byte) bool { return b == '.' || b == '_' || b == '/' }

func hasJoiner(s string) bool {
	for i := 0; i < len(s); i++ {
		if joiner(s[i]) {
			return true
		}
	}
	return false
}

// chunkByte reports whether b may stand inside a link or a username.
func chunkByte(b byte) bool {
	if alnum(b) {
		return true
	}
	switch b {
	case '.', '_', '-', '/', ':', '?', '=', '&', '#', '%', '~', '+', '@':
		return true
	}
	return false
}

// trimChunk returns the end of text[i:j] without the punctuation that
// ends a sentence or a clause after it.
func trimChunk(text string, i, j int) int {
	for j > i && strings.IndexByte(".:?-/", text[j-1]) >= 0 {
		j--
	}
	return j
}

// hostLike reports whether s is a host name: two labels or more, the last
// of letters only ("facebook.com", "www.instagram.com").
func hostLike(s string) bool {
	labels, last := 0, ""
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || !hostLabel(l) {
			return false
		}
		labels, last = labels+1, l
	}
	return labels >= 2 && len(last) >= 2 && allLetters(last)
}

func hostLabel(l string) bool {
	for i := 0; i < len(l); i++ {
		if !alnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

func hasAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if alnum(s[i]) {
			return true
		}
	}
	return false
}

// usernameLike reports whether s is shaped like a username and like
// nothing else: letters and digits joined by underscores ("jsmith_86"), or
// by dots with letters first and digits in a later part ("jane.smith.1986",
// "k.nowak.7", "dazza.99"), which no host name, number, time or
// abbreviation has; of two parts, the first must be no common word
// ("No.10", "room.4").
func usernameLike(s string, common func(string) bool) bool {
	if !isLetter(s[0]) || strings.ContainsAny(s, ":?=&#%~+/") {
		return false
	}
	if strings.IndexByte(s, '_') >= 0 {
		return letters(s) >= 2
	}
	first, rest, ok := strings.Cut(s, ".")
	if !ok || !allLetters(first) {
		return false
	}
	parts, digits := 1, false
	for p := range strings.SplitSeq(rest, ".") {
		if p == "" {
			return false
		}
		parts++
		digits = digits || strings.ContainsAny(p, "0123456789")
	}
	return digits && (parts >= 3 || len(first) >= 2 && !common(strings.ToLower(first)))
}

// letters counts the ASCII letters in s.
func letters(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			n++
		}
	}
	return n
}

// account records the account named after a platform ("her snapchat is
// jsmith", "username: dazza"), token i being the platform's name, and
// returns the next token to look at.
func (f *finder) account(i int) int {
	j := i + 1
	for n := 0; n < 4 && f.named(j); n++ {
		if f.is(j, fPlatform) { // "username on facebook is …"
			j++
			continue
		}
		switch f.low(j) {
		case "is", "was", "name", "names", "username", "handle", "on", "me", "as", "called", "add", "her", "his", "my", "their", "its", "under", "account", "profile", "id", "it's", "address":
			j++
			continue
		}
		break
	}
	if !f.named(j) {
		return i + 1
	}
	if end, ok := f.structuredAt(j); ok {
		return end // "email 13/8/42": a date, a phone number, read as itself
	}
	t := f.toks[j]
	switch t.low {
	case "com", "co", "uk", "org", "net", "dot":
		return i + 1 // the rest of an address: "jsmith hotmail com"
	}
	if t.is(fFunction) || (f.common(t) || f.capital(j)) && !t.digits && !f.glues(j) {
		return i + 1 // a word, or a name that the name rules will find ("email Sarah")
	}
	end := t.end
	for end < len(f.text) && (alnum(f.text[end]) || strings.IndexByte("._-#", f.text[end]) >= 0) {
		end++ // "#": a tag's number, "bigdave#1234"
	}
	for end > t.start && strings.IndexByte("._-#", f.text[end-1]) >= 0 {
		end--
	}
	f.spans = append(f.spans, Span{t.start, end, KindHandle})
	k := j + 1
	for k < len(f.toks) && f.toks[k].start < end {
		k++
	}
	return k
}

// named reports whether token j follows token j-1 as a name follows its
// label: after spaces, a colon, a comma or a dash, three bytes at most.
func (f *finder) named(j int) bool {
	if j <= 0 || j >= len(f.toks) {
		return false
	}
	g := f.gap(j)
	return g != "" && len(g) <= 3 && strings.Trim(g, " :,-") == ""
}

// glues reports whether token j is joined to what follows it by an
// underscore, a dot or a digit, as a username is ("bigdave_", "ace.99").
func (f *finder) glues(j int) bool {
	e := f.toks[j].end
	return e+1 < len(f.text) && (f.text[e] == '_' || f.text[e] == '.') && alnum(f.text[e+1])
}

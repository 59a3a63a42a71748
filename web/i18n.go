package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The public pages' words live in message catalogues, one file per
// language (messages/en.json, messages/cy.json), loaded into
// golang.org/x/text's catalogue. Services in Wales must offer Welsh.
//
//go:embed messages/*.json
var messageFS embed.FS

// languages are the public pages' languages, English first (the default).
var languages = []language.Tag{language.English, language.MustParse("cy")}

// messages holds a printer per language.
type messages struct {
	printers map[string]*message.Printer
	matcher  language.Matcher
}

// loadMessages reads every catalogue and checks that each language has
// exactly the keys of English, so that no page shows a key.
func loadMessages() (*messages, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	var keys []string
	for i, tag := range languages {
		raw, err := messageFS.ReadFile("messages/" + tag.String() + ".json")
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("messages/%s.json: %w", tag, err)
		}
		var ks []string
		for k, v := range m {
			ks = append(ks, k)
			if err := b.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("messages/%s.json %s: %w", tag, k, err)
			}
		}
		sort.Strings(ks)
		if i == 0 {
			keys = ks
		} else if fmt.Sprint(ks) != fmt.Sprint(keys) {
			return nil, fmt.Errorf("messages/%s.json does not have the keys of messages/en.json", tag)
		}
	}
	m := &messages{printers: map[string]*message.Printer{}, matcher: language.NewMatcher(languages)}
	for _, tag := range languages {
		m.printers[tag.String()] = message.NewPrinter(tag, message.Catalog(b))
	}
	return m, nil
}

// lang returns the language code asked for ("cy" or "en"), English when
// anything else.
func (m *messages) lang(asked string) string {
	if _, ok := m.printers[asked]; ok {
		return asked
	}
	return language.English.String()
}

// pick is the language asked for when there is one, else the best match
// of the browser's Accept-Language header (English when none matches).
func (m *messages) pick(asked, acceptLanguage string) string {
	if _, ok := m.printers[asked]; ok {
		return asked
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return languages[0].String()
	}
	_, i, conf := m.matcher.Match(tags...)
	if conf == language.No {
		return languages[0].String()
	}
	return languages[i].String()
}

// words is what a public page's template uses to say things in its
// language.
type words struct {
	Lang string
	p    *message.Printer
}

func (m *messages) in(lang string) words {
	lang = m.lang(lang)
	return words{Lang: lang, p: m.printers[lang]}
}

// T says the message key, with args.
func (w words) T(key string, args ...any) string { return w.p.Sprintf(key, args...) }

// Month says a month YYYY-MM as "October 2026" in the page's language.
func (w words) Month(period string) string {
	var y, m int
	if _, err := fmt.Sscanf(period, "%d-%d", &y, &m); err != nil || m < 1 || m > 12 {
		return period
	}
	return fmt.Sprintf("%s %d", w.T(fmt.Sprintf("month.%d", m)), y)
}

// Other is the code of the language the switch offers.
func (w words) Other() string {
	if w.Lang == "cy" {
		return "en"
	}
	return "cy"
}

// Switch is the address of this page in the other language.
func (w words) Switch(path string) string {
	return path + "?" + url.Values{"lang": {w.Other()}}.Encode()
}

// List says names as a list: "A, B and C".
func (w words) List(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + w.T("and") + " " + names[len(names)-1]
}

package redact

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// forms makes structured identifiers written the ways people write them:
// any case, any spacing or separator, read aloud.
type forms struct{ r *rand.Rand }

func (g forms) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g forms) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}
func (g forms) letters(n int, from string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = from[g.r.IntN(len(from))]
	}
	return string(b)
}

// anyCase writes s in capitals, lower case or as it is.
func (g forms) anyCase(s string) string {
	switch g.r.IntN(3) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s)
	}
	return s
}

// group joins the digits of d in groups of the given sizes with sep.
func group(d, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		parts = append(parts, d[:n])
		d = d[n:]
	}
	if d != "" {
		parts = append(parts, d)
	}
	return strings.Join(parts, sep)
}

var spoken = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

func (g forms) make(k Kind) string {
	sep := g.pick(" ", "-", "", ".")
	switch k {
	case KindPhone:
		mobile := "07" + g.pick("700", "400", "500", "900", "800") + g.digits(6)
		switch g.r.IntN(10) {
		case 8: // zeros written as the letter O, in groups: "O77OO 9OO 123"
			look, n := []byte(mobile), 0
			for i := range look {
				if look[i] == '0' && n < 4 {
					look[i], n = g.pick("O", "o")[0], n+1
				}
			}
			return group(string(look), " ", 5, 3, 3)
		case 9: // "seven seven double oh …", "treble seven"
			var w []string
			for i := 0; i < len(mobile); i++ {
				if i+1 < len(mobile) && mobile[i+1] == mobile[i] {
					w = append(w, g.pick("double", "two"))
					if w[len(w)-1] == "two" {
						w[len(w)-1] = spoken[mobile[i]-'0']
					}
				}
				w = append(w, spoken[mobile[i]-'0'])
			}
			return strings.Join(w, " ")
		case 6:
			return g.pick("+44 (0)", "0044 ", "+44", "0044") + group(mobile[1:], g.pick(" ", ""), 4, 6)
		case 7:
			return group(mobile, g.pick(" ", "-", "."), 5, 3, 3)
		case 0:
			return group(mobile, sep, 5, 6)
		case 1:
			return group(mobile, sep, 5, 3, 3)
		case 2:
			return "+44 " + group(mobile[1:], g.pick(" ", ""), 4, 6)
		case 3:
			return "(0" + g.pick("113", "161", "121", "114", "117") + ") " + group("496"+g.digits(4), g.pick(" ", "-"), 3, 4)
		case 4:
			return strings.Join(strings.Split(mobile, ""), " ")
		default:
			var w []string
			for _, c := range mobile {
				w = append(w, spoken[c-'0'])
			}
			if g.r.IntN(2) == 0 {
				w[0] = "oh"
			}
			return strings.Join(w, g.pick(" ", ", ", "-"))
		}
	case KindEmail:
		user := g.pick("jane", "m.khan", "bev_1964", "o.adeyemi", "kasia") + g.digits(g.r.IntN(3))
		domain := g.pick("example", "mail", "provider")
		tld := g.pick("com", "co.uk", "org", "net")
		switch g.r.IntN(5) {
		case 4:
			return user + g.pick(" @ ", "@ ", " @") + domain + g.pick(" . ", ".") + tld
		case 0:
			return user + "@" + domain + "." + tld
		case 1:
			dot := g.anyCase(" dot ")
			return strings.ReplaceAll(user, ".", dot) + g.anyCase(" at ") + domain + dot + strings.ReplaceAll(tld, ".", dot)
		case 2:
			return user + g.pick("(at)", "[at]", " (at) ") + domain + g.pick("(dot)", ".", "[dot]") + strings.ReplaceAll(tld, ".", g.pick("(dot)", "."))
		default:
			return g.anyCase(user + "@" + domain + "." + tld)
		}
	case KindPostcode:
		out := g.letters(1+g.r.IntN(2), "ABDEFGHKLMNPRSTWY") + fmt.Sprint(1+g.r.IntN(19))
		in := g.digits(1) + g.letters(2, "ABDEFGHJLNPQRSTUWXYZ")
		if g.r.IntN(5) == 0 { // spelt out down the phone: "Y O 7 1 P L"
			return g.anyCase(strings.Join(strings.Split(out+in, ""), " "))
		}
		return g.anyCase(out + g.pick(" ", "", "-") + in)
	case KindNHS:
		for {
			d := fmt.Sprint(1+g.r.IntN(9)) + g.digits(8)
			sum := 0
			for i := range 9 {
				sum += int(d[i]-'0') * (10 - i)
			}
			c := (11 - sum%11) % 11
			if c == 10 {
				continue
			}
			return group(d+fmt.Sprint(c), g.pick(" ", "-", ""), 3, 3)
		}
	case KindNINO:
		s := g.pick(" ", "")
		return g.anyCase(g.letters(1, "ABCEHJKLMPRSTWXYZ") + g.letters(1, "ABCEHJKLMNPRSTWXYZ") + s + g.digits(2) + s + g.digits(2) + s + g.digits(2) + s + g.letters(1, "ABCD"))
	case KindCard:
		for {
			d := g.pick("4", "51", "52", "55") + g.digits(15)
			d = d[:16]
			if luhn(d) {
				if g.r.IntN(4) == 0 {
					amex := "37" + g.digits(13)
					if luhn(amex) {
						return group(amex, g.pick(" ", "-", ""), 4, 6)
					}
				}
				return group(d, g.pick(" ", "-", ""), 4, 4, 4)
			}
		}
	case KindIBAN:
		for {
			body := g.pick("NWBK", "BARC", "LOYD", "MIDL", "HBUK") + g.digits(14)
			for check := 2; check <= 98; check++ {
				iban := fmt.Sprintf("GB%02d%s", check, body)
				if validIBAN(iban) {
					if g.r.IntN(2) == 0 {
						iban = group(iban, " ", 4, 4, 4, 4, 4)
					}
					return g.anyCase(iban)
				}
			}
		}
	case KindVehicle:
		sp := g.pick(" ", "")
		switch g.r.IntN(5) {
		case 4: // spelt out: "Y K 1 9 A B X"
			reg := g.letters(2, "ABCDEFGHKLMNOPRSVWY") + g.digits(2) + g.letters(3, "ABCDEFGHJKLMNOPRSTUVWXYZ")
			return g.anyCase(strings.Join(strings.Split(reg, ""), " "))
		case 0:
			return g.anyCase(g.letters(2, "ABCDEFGHKLMNOPRSVWY") + g.digits(2) + sp + g.letters(3, "ABCDEFGHJKLMNOPRSTUVWXYZ"))
		case 1:
			return g.letters(1, "ABCDEFGHJKLMNPRSTVWXY") + fmt.Sprint(1+g.r.IntN(999)) + " " + g.letters(3, "ABCDEFGHJKLMNPRSTUVWXYZ")
		case 2:
			return g.letters(3, "ABCDEFGHJKLMNPRSTUVWXYZ") + " " + fmt.Sprint(1+g.r.IntN(999)) + g.letters(1, "ABCDEFGHJKLMNPRSTVWXY")
		default:
			return g.letters(3, "ABCDEFGHJKLMPRSTUVWXYZ") + " " + fmt.Sprint(1+g.r.IntN(9999))
		}
	case KindRef:
		return g.pick(g.digits(2)+"/"+g.digits(6)+"/"+g.digits(2), g.letters(2, "ABCDEFGHJKLMNPRSTWY")+"-20"+g.digits(2)+"-"+g.digits(5),
			g.letters(3, "ABCDEFGHJKLMNPRSTWY")+"/"+g.digits(2)+"/"+g.digits(6))
	case KindDate:
		day, month, year := 1+g.r.IntN(28), 1+g.r.IntN(12), 1930+g.r.IntN(90)
		name := g.pick("January", "Feb", "March", "April", "June", "Sept", "October", "Dec")
		return g.pick(fmt.Sprintf("%02d/%02d/%d", day, month, year), fmt.Sprintf("%d.%d.%02d", day, month, year%100),
			fmt.Sprintf("%d%s %s %d", day, g.pick("st", "th", ""), name, year), fmt.Sprintf("%s %d, %d", name, day, year),
			fmt.Sprintf("%d-%02d-%02d", year, month, day), fmt.Sprintf("%s '%02d", name, year%100), fmt.Sprintf("%d%s of %s %d", day, g.pick("st", "th"), name, year),
			fmt.Sprintf("%d/%d/%02d", day, month, year%100), fmt.Sprintf("%s %d%s %d", name, day, g.pick("st", "th", ""), year),
			fmt.Sprintf("%d %s %02d", day, name, year%100))
	case KindHandle:
		if g.r.IntN(2) == 0 { // a username without its "@": only its shape tells
			return g.pick("big_dave", "siobhan_os", "k_nowak", "jane.smith.", "k.nowak.", "dazza.") + g.digits(1+g.r.IntN(4))
		}
		return "@" + g.pick("jane", "big_dave", "k.nowak", "siobhan_os", "mo") + g.digits(g.r.IntN(4))
	case KindAddress:
		switch g.r.IntN(4) {
		case 0:
			return g.pick("Rose", "Ivy", "Holly", "Meadow", "Orchard", "Bryn", "Ty Gwyn", "The Old") + " " + g.pick("Cottage", "House", "Farm", "Lodge", "Vicarage", "Rectory", "Barn") + g.pick("", ", Back Lane", ", Church Road")
		case 1:
			return fmt.Sprintf("%d%s %s %s", 1+g.r.IntN(300), g.pick("", "a"), g.pick("Heol", "Ffordd", "Stryd"), g.pick("Tawe", "Penrhyn", "Fawr", "Glyndwr"))
		case 2:
			return strings.ToLower(fmt.Sprintf("%d %s %s", 1+g.r.IntN(300), g.pick("mill", "station", "albert", "thornfield", "kirkstall"), g.pick("road", "street", "lane", "close", "mews")))
		}
		return fmt.Sprintf("%s%d%s %s %s", g.pick("", "Flat 2, ", "flat 10a, "), 1+g.r.IntN(300), g.pick("", "a", "b"),
			g.pick("Mill", "Station", "Oak Tree", "Albert", "Thornfield", "New"), g.pick("Road", "Street", "Lane", "Close", "Avenue", "Terrace", "Mews", "Grove", "Way"))
	}
	panic(k)
}

// filler is text around an identifier: words that are no one's, numbers,
// punctuation.
var filler = []string{"i", "was", "told", "that", "the", "officer", "would", "ring", "on", "3", "days", "later", "and", "nobody",
	"did,", "so", "please", "use", "my", "number", "or", "email", "(it", "is", "fine)", "court", "letter:", "10am", "twice.", "-", "it's"}

// TestStructuredAnywhere is a property test: every structured identifier,
// written any of the ways above, with a zero-width space hidden in one in
// four, put anywhere in text, is redacted whole.
func TestStructuredAnywhere(t *testing.T) {
	r := newRedactor(t)
	kinds := []Kind{KindPhone, KindEmail, KindPostcode, KindNHS, KindNINO, KindCard, KindIBAN, KindVehicle, KindRef, KindDate, KindHandle, KindAddress}
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			g := forms{r: rand.New(rand.NewPCG(uint64(len(k)), 7))}
			leaks := 0
			for n := range 300 {
				id := g.make(k)
				if n%4 == 3 && len(id) > 2 { // a zero-width space hidden inside
					at := 1 + g.r.IntN(len(id)-1)
					id = id[:at] + "\u200b" + id[at:]
				}
				var before, after []string
				for range g.r.IntN(8) {
					before = append(before, filler[g.r.IntN(len(filler))])
				}
				for range g.r.IntN(8) {
					after = append(after, filler[g.r.IntN(len(filler))])
				}
				prefix := strings.Join(before, " ")
				if prefix != "" {
					prefix += " "
				}
				text := prefix + id + " " + strings.Join(after, " ")
				if !covers(r.Find(text), len(prefix), len(prefix)+len(id), text) {
					leaks++
					if leaks <= 5 {
						t.Errorf("case %d: %q came through: %q in %q", n, id, r.Redact(text), text)
					}
				}
			}
			if leaks > 0 {
				t.Errorf("%d of 300 leaked", leaks)
			}
		})
	}
}

// covers reports whether spans cover every letter and digit of
// text[start:end] (an invisible character left between two redactions
// hides nothing).
func covers(spans []Span, start, end int, text string) bool {
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isAlnum(text[i]) || invisible(r) {
			i += size
			continue
		}
		in := false
		for _, s := range spans {
			if s.Start <= i && i < s.End {
				in = true
				break
			}
		}
		if !in {
			return false
		}
		i += size
	}
	return true
}

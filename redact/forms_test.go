package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedactOddForms: identifiers written as people write them in a hurry
// or read them aloud, names and places that no list holds, and sentences
// that only look like them.
func TestRedactOddForms(t *testing.T) {
	r := newRedactor(t)
	tests := []struct {
		text, want string
	}{
		{"my postcode is YO7-1PL", "my postcode is [POSTCODE]"},
		{"the car was yk19abx", "the car was [VEHICLE]"},
		{"an old car AXZ 1234 outside", "an old car [VEHICLE] outside"},
		{"message me @jane_doe99 on there", "message me [HANDLE] on there"},
		{"email jane dot doe at example dot com please", "email [EMAIL] please"},
		{"or jane(at)example(dot)co(dot)uk", "or [EMAIL]"},
		{"call zero seven seven double seven nine zero zero one two three", "call [PHONE]"},
		{"born in March '86", "born in [DATE]"},
		{"my birthday is 14th Feb, my son's birthday is the 3rd of March", "my birthday is [DATE], my son's birthday is the [DATE]"},
		{"he was born in '86, she was born on christmas day 1985", "he was born in '[DATE], she was born on christmas day [DATE]"},
		{"moved in March 1990", "moved in [DATE]"},
		{"Jim said he would ring", "[NAME] said he would ring"},
		{"i spoke to siobhan and wiktoria", "i spoke to [NAME] and [NAME]"},
		{"Kerry Pryce-Jones came round", "[NAME] came round"},
		{"the only blind Somali woman in the village of Thwaite", "the only [ROLE] in the village of [PLACE]"},
		{"the only female firefighter at the station on Mill Road", "the only [ROLE] at the station on [PLACE]"},
		{"my son goes to Oakfield Primary School", "my son goes to [SCHOOL]"},
		{"she works at the Royal Infirmary", "she works at the [WORKPLACE]"},
		{"Flat 3, 12 Mill Road", "[ADDRESS], [ADDRESS]"},
		// Accounts online: the site stays, the account goes.
		{"see facebook.com/jane.smith.1986 for photos", "see facebook.com/[HANDLE] for photos"},
		{"https://www.instagram.com/big_dave99/ is him", "https://www.instagram.com/[HANDLE]/ is him"},
		{"linkedin.com/in/priya-patel-1234.", "linkedin.com/[HANDLE]."},
		{"her snapchat is jsmith and insta is kaz", "her snapchat is [HANDLE] and insta is [HANDLE]"},
		{"my username on facebook is jane.smith.1986", "my username on facebook is [HANDLE]"},
		{"add him, dazza_99, he knows", "add him, [HANDLE], he knows"},
		{"I posted on reddit as u/throwaway_leeds, discord: bigdave#1234", "I posted on reddit as u/[HANDLE], discord: [HANDLE]"},
		{"my email is jsmith hotmail com", "my email is [HANDLE] hotmail com"},
		{"email j a n e 9 9 @ g m a i l . c o m.", "email [EMAIL]."},
		// Nicknames, even when they are English words.
		{"the lad they call Smudge", "the lad they call [NAME]"},
		{"they call him Tiny round here", "they call him [NAME] round here"},
		{"a man known as Chalky", "a man known as [NAME]"},
		// An officer's collar number, whatever stands before it.
		{"PC 4521 was rude", "PC [REFERENCE] was rude"},
		{"his collar number was 212", "his collar number was [REFERENCE]"},
		{"case number 07700 900123 is mine", "case number [PHONE] is mine"},
		{"he was on tag, offender number A1234BC", "he was on tag, offender number [REFERENCE]"},
		{"my PNC ID is 12/345678A and PNC 2004/1234567X", "my PNC ID is [REFERENCE] and PNC [REFERENCE]"},
		{"my membership no. AB123456 was used", "my membership no. [REFERENCE] was used"},
		// Spelt out a character at a time, or with look-alike letters.
		{"postcode Y O 7 1 P L thanks", "postcode [POSTCODE] thanks"},
		{"my postcode's ls6 and we moved to HX1 from BD3", "my postcode's [POSTCODE] and we moved to [POSTCODE] from [POSTCODE]"},
		{"the reg was YK19 A B X", "the reg was [VEHICLE]"},
		{"ring 07700 900 one two three, or jane.doe@gmail dot com, hotmail: janedoe99", "ring [PHONE], or [EMAIL], hotmail: [HANDLE]"},
		{"reg y k 1 9 a b x", "reg [VEHICLE]"},
		{"call O77OO 9OO 123 now", "call [PHONE] now"},
		{"ring seven seven double zero nine hundred one two three", "ring [PHONE]"},
		// More of a name, an address, a workplace.
		{"MY SOCIAL WORKER KAREN HUGHES NEVER RINGS BACK", "MY SOCIAL WORKER [NAME] NEVER RINGS BACK"},
		{"i saw will jones and john d'souza", "i saw [NAME] and [NAME]"},
		{"PC J. Smith was rude, my ex (initials D.K.) too", "PC [NAME]. [NAME] was rude, my ex (initials [NAME].) too"},
		{"his initials DK and hers J M", "his initials [NAME] and hers J M"},
		{"initials Dk are odd", "initials Dk are odd"},
		{"ask jones about it", "ask [NAME] about it"},
		{"we are at 14 The Drive now", "we are at [ADDRESS] now"},
		{"the Polish lady at number 12", "the Polish lady at [ADDRESS]"},
		{"apartment 12, Room 214 at the hotel, PO Box 1234", "[ADDRESS], [ADDRESS] at the hotel, PO [ADDRESS]"},
		{"the only Romanian carer at Sunrise care home", "the only [ROLE] at [WORKPLACE] care home"},
		{"I'm a 45 year old Kurdish taxi driver in Halifax", "I'm a [ROLE] in [PLACE]"},
		// Hidden from a matcher but not from a reader.
		{"call 07700\u200b900123 now", "call [PHONE] now"},
		{"call ０７７００ ９００１２３ now", "call [PHONE] now"},
		{"call O7700 9OO123 now", "call [PHONE] now"},
		{"write to jane＠example.com", "write to [EMAIL]"},
		{"Sio\u00adbhan rang", "[NAME] rang"},
		// Look-alikes that identify no one.
		{"the NHS 111 line was busy at 10 am", "the NHS 111 line was busy at 10 am"},
		{"we met at seven on one day at the station", "we met at seven on one day at the station"},
		{"I waited at home for 3 weeks", "I waited at home for 3 weeks"},
		{"it was 2 or 3 times, maybe four", "it was 2 or 3 times, maybe four"},
		{"email me @ the office", "email me @ the office"},
		{"the oficer was rude and didnt beleive me", "the oficer was rude and didnt beleive me"},
		{"Social Services and the Crown Court were fair.", "Social Services and the Crown Court were fair."},
		{"My IDVA helped with the MARAC referral.", "My IDVA helped with the MARAC referral."},
		{"the only one who listened was the helpline", "the only one who listened was the helpline"},
		{"the officer 20 minutes later said nothing", "the officer 20 minutes later said nothing"},
		{"they call the police every night", "they call the police every night"},
		{"It was a snap decision, e.g. at 3.30pm, for 1.5 hours", "It was a snap decision, e.g. at 3.30pm, for 1.5 hours"},
		{"two hundred and fifty people waited three hundred days", "two hundred and fifty people waited three hundred days"},
		{"I went to www.gov.uk and the police.uk site", "I went to www.gov.uk and the police.uk site"},
		{"the email was sent to my solicitor", "the email was sent to my solicitor"},
		{"it was 2/3 of the way, and/or the police/council", "it was 2/3 of the way, and/or the police/council"},
		{"I chose plan B. Then it went wrong.", "I chose plan B. Then it went wrong."},
		{"I waited in interview room 3 for hours", "I waited in interview room 3 for hours"},
		{"call 07700 900123 one more time; he drove on the M62 in Year 9; the postcode was wrong", "call [PHONE] one more time; he drove on the M62 in Year 9; the postcode was wrong"},
		{"take 1000mg twice, the covid19 jab, an iPhone15", "take 1000mg twice, the covid19 jab, an iPhone15"},
		{"our baby was born 3 weeks early and my birthday was ruined", "our baby was born 3 weeks early and my birthday was ruined"},
		{"I'm a 45 year old woman and they said my case was nfa'd", "I'm a 45 year old woman and they said my case was nfa'd"},
		{"i will recieve it and bill was paid", "i will recieve it and bill was paid"},
		{"I am a bit lost with the paperwork", "I am a bit lost with the paperwork"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.text); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// FuzzRedact: Redact never panics, its spans are ordered and inside the
// text, and a structured identifier placed anywhere in arbitrary text never
// comes through whole.
func FuzzRedact(f *testing.F) {
	r := newRedactor(f)
	for _, p := range parts {
		for i, l := range readSet(f, p.name) {
			if i%10 == 0 {
				f.Add(l.Text, uint8(i), uint64(i))
			}
		}
	}
	kinds := []Kind{KindEmail, KindPhone, KindNINO, KindNHS, KindCard, KindIBAN, KindPostcode}
	f.Fuzz(func(t *testing.T, text string, kind uint8, seed uint64) {
		last := 0
		for _, s := range r.Find(text) {
			if s.Start < last || s.End > len(text) || s.Start >= s.End {
				t.Fatalf("span %v out of order or bounds in %q", s, text)
			}
			last = s.End
		}
		g := forms{r: rand.New(rand.NewPCG(seed, seed))}
		id := g.make(kinds[int(kind)%len(kinds)])
		s := text + " " + id + " " + text
		if red := r.Redact(s); strings.Contains(red, " "+id+" ") {
			t.Fatalf("%q came through in %q", id, red)
		}
	})
}

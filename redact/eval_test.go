package redact

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
)

// The labelled evaluation set is generated, reproducibly, from sentences
// written in the voice of victims' and social-care feedback, with slots that
// are filled from pools of identifiers. The development part and the
// held-back test part share no template and no pool value: tuning looks at
// the development part only, and the floors are enforced on the test part.
//
// Markup: "{slot}" takes a value from the pool of that name; a pool value,
// or a template, marks what identifies someone as [[KIND|text]].

// split is one part of the set: its templates, pools and sentences with no
// identifier.
type split struct {
	templates []string
	pools     map[string][]string
	negatives []string
}

// tuneSplit was written as the held-back part, and looked at once the
// development part was exhausted (see docs/redaction.md); it is now a second
// development part.
var tuneSplit = split{
	templates: []string{
		"{first} from the council was really patient with me and explained everything.",
		"i spoke to {first} on the phone and she never rang back like she promised",
		"The officer, {titled}, told me they could not do anything without more evidence.",
		"My caseworker {full} was the only person who listened to me.",
		"When {titled} came round he was rude and kept looking at his phone.",
		"{full} kept messaging me after the court case and nobody stopped him.",
		"my son {first} is 9 and he was there when it happened, no one asked if he was ok",
		"Please thank {first} for sitting with me at court, I could not have done it alone.",
		"The man who attacked me is called {full} and he lives two doors down.",
		"Im the only {role} in {place} so everyone knows it was me who reported it",
		"I am the only {role} at the station on {street} and now they all treat me differently.",
		"People in {place} talk, and the only {role} on the estate is easy to find.",
		"We moved to {place} after the attack but he still found us.",
		"the refuge in {place} was good but it was a long way from my mums",
		"My daughter goes to {school} and the teachers were told without my consent.",
		"someone from {school} rang social services and that started all this",
		"He works at {workplace} so I see him every time I do my shopping.",
		"She is a nurse at {workplace} and her manager found out from the police.",
		"My husband works for {employer} and they gave him time off to support me.",
		"You can call me on {phone} after 6pm, not before because of work.",
		"my number is {phone} but please text first",
		"Email me at {email} if there is an update on the case.",
		"Reply to {email} please, my old address was hacked.",
		"They sent the letter to {address} but I moved out months ago.",
		"I live at {address} and I am scared he knows where that is.",
		"Our postcode is {postcode} and the officer still went to the wrong house.",
		"The car outside my house every night was {vehicle} and I gave that to the police.",
		"My NHS number is {nhs}, they asked me for it three times.",
		"They wanted my national insurance number, {nino}, before they would help.",
		"I had to give my card number {card} to get the locks changed.",
		"The compensation was meant to go to {iban} but it never arrived.",
		"my crime ref is {ref} and I have heard nothing for 6 weeks",
		"I was born {dob} so I am not as young as the officer seemed to think.",
		"He keeps making new accounts like {handle} to message me.",
		"I told {titled} about {full} twice and nothing happened.",
		"{first} and {first2} from the support service were both brilliant.",
		"When I rang {workplace} to say I would be off sick, {first} on reception was kind.",
		"Nobody from {place} police station came until the next day.",
		"Tell {first} that her advice about the court visit really helped.",
		"my ex {full} has been to {school} twice to try and collect the kids",
		"The social worker, {first}, said she would visit {address} on Tuesday.",
		"I gave my number, {phone}, and my email, {email}, and still nobody called.",
		"Its not fair that {full} got off because the paperwork was late.",
		"we met {titled} at the hospital and he took my statement there",
		"They put us in a hotel in {place} for three weeks with the kids.",
		"The only {role} in our village is me, so please do not share this.",
		"after i reported it {first} from the housing came round with {first2}",
		"Support from Victim Support was fine but {first} did most of it.",
		"{titled} was fantastic and kept me updated every week.",
		"My neighbour {full} saw everything but nobody took a statement from him.",
	},
	pools: map[string][]string{
		"first": {"Siobhan", "Wiktoria", "Oluwaseun", "Chidinma", "Abdirahman", "Hodan", "Nusrat", "Gurpreet", "Mei", "Ioana",
			"Rhiannon", "Niamh", "Tomasz", "Kwabena", "Jim", "Bev", "Thi Lan", "Precious", "Femi", "Magdalena", "Aaliyah", "Darnell",
			"Shirin", "Bronwen", "Callum", "Lakshmi", "Zeynep", "Anuoluwapo", "Teodora", "Maja"},
		"first2": {"Dafydd", "Agnieszka", "Tunde", "Faisal", "Xiaoling", "Cormac", "Ngozi", "Ravinder", "Sorina", "Kerry-Ann",
			"Bilqis", "Emeka", "Yusra", "Oisin", "Ilona"},
		"full": {"Siobhan O'Sullivan", "Kerry Pryce-Jones", "Hamish McLeod", "Tomasz Nowak", "Agnieszka Wiśniewska",
			"Adebayo Adeyemi", "Chukwuemeka Okonkwo", "Abdi Warsame", "Nasreen Hussain", "Rahim Chowdhury", "Harjit Sandhu",
			"Li Na Zhang", "Andrei Popescu", "Gwyn Llewellyn", "Patrick Gallagher", "Ama Mensah", "Halima Abdullahi",
			"Jaspreet Kaur", "Thanh Nguyen", "Darren Whitworth", "Marcus Oyelaran", "Sinead Duggan", "Bogdana Ionescu",
			"Karim El-Amin", "Precious Dlamini", "Deborah Achterberg", "Yusuf Osman", "Leon Kaczmarek", "Fiona MacAskill",
			"Carl Pickersgill"},
		"titled": {"PC [[NAME|Llewellyn]]", "DC [[NAME|Okafor]]", "Sergeant [[NAME|Hussain]]", "Mrs [[NAME|Warsame]]",
			"Mr [[NAME|Kowalczyk]]", "Dr [[NAME|Banerjee]]", "DS [[NAME|Fairclough]]", "Officer [[NAME|Ní Bhriain]]",
			"PC [[NAME|Ahmed]]", "Ms [[NAME|Ogunbanjo]]", "Inspector [[NAME|Haworth]]", "DC [[NAME|Szymańska]]"},
		"role": {"[[ROLE|female firefighter]]", "[[ROLE|blind Somali woman]]", "[[ROLE|Polish dentist]]",
			"[[ROLE|Sikh taxi driver]]", "[[ROLE|male midwife]]", "[[ROLE|deaf teenager]]", "[[ROLE|Black headteacher]]",
			"[[ROLE|wheelchair user]]", "[[ROLE|trans woman]]", "[[ROLE|Romanian family]]"},
		"place": {"[[PLACE|Thwaite]]", "[[PLACE|Hebden Bridge]]", "[[PLACE|Kirkby Stephen]]", "[[PLACE|Penrhyndeudraeth]]",
			"[[PLACE|Ballymena]]", "[[PLACE|Skegness]]", "[[PLACE|Llanrwst]]", "[[PLACE|Todmorden]]", "[[PLACE|Holmfirth]]",
			"[[PLACE|Great Ayton]]", "[[PLACE|Mexborough]]", "[[PLACE|Glossop]]"},
		"street": {"[[PLACE|Mill Road]]", "[[PLACE|Cemetery Lane]]", "[[PLACE|Bolton Road]]", "[[PLACE|Albert Street]]",
			"[[PLACE|Moor Lane]]", "[[PLACE|Heol Tawe]]"},
		"school": {"[[SCHOOL|St Bede's Primary]]", "[[SCHOOL|Hillside Academy]]", "[[SCHOOL|Ysgol Glan Clwyd]]",
			"[[SCHOOL|Hebden Royd Primary School]]", "[[SCHOOL|Oakwood High School]]", "[[SCHOOL|Bishop Challoner College]]",
			"[[SCHOOL|Crofton Infants]]", "[[SCHOOL|Our Lady of Lourdes]]"},
		"workplace": {"the [[WORKPLACE|Tesco]] on [[PLACE|Kirkstall Road]]", "[[WORKPLACE|Pinderfields Hospital]]",
			"the [[WORKPLACE|Amazon]] warehouse in [[PLACE|Doncaster]]", "[[WORKPLACE|Greggs]] in [[PLACE|Barnsley]]",
			"[[WORKPLACE|Leighton Hospital]]", "the [[WORKPLACE|Royal Infirmary]]", "[[WORKPLACE|Boots]] in the precinct",
			"[[WORKPLACE|Hartley's Garage]]"},
		"employer": {"[[WORKPLACE|Royal Mail]]", "[[WORKPLACE|Arriva]]", "[[WORKPLACE|Morrisons]]", "[[WORKPLACE|Network Rail]]",
			"[[WORKPLACE|Kirklees Council]]"},
		"phone": {"07700 900461", "07700900983", "+44 7700 900127", "0113 496 0588", "(0161) 496 0712",
			"zero seven seven double oh nine double oh three four two", "07700-900-315", "0 7 7 0 0 9 0 0 5 5 1"},
		"email": {"siobhan.osullivan@example.com", "k.pryce-jones@example.co.uk", "wiktoria dot n at example dot com",
			"mo_warsame(at)example(dot)org", "bev1964@example.net", "jim DOT brown AT example DOT com"},
		"address": {"[[ADDRESS|Flat 3, 12 Mill Road]]", "[[ADDRESS|47 Cemetery Lane]]", "[[ADDRESS|Rose Cottage, Back Lane]]",
			"[[ADDRESS|14a Heol Tawe]]", "[[ADDRESS|Flat 9]] at the back of the shop", "[[ADDRESS|2 Thornfield Mews]]"},
		"postcode": {"YO7-1PL", "ls6 2ab", "BD71AA", "HD9 3TR", "cf10 1ns", "M14 5RB"},
		"vehicle":  {"yk19abx", "AXZ 1234", "Ld66 Fro", "W123 ABC", "bf70 kzt"},
		"nhs":      {"943 476 5919", "9434765870"},
		"nino":     {"QQ 12 34 56 C", "jk123456d", "AB 65 43 21 B"},
		"card":     {"4929 1234 5678 9016", "5500-0000-0000-0004"},
		"iban":     {"GB82 WEST 1234 5698 7654 32", "GB29NWBK60161331926819"},
		"ref":      {"13/284455/26", "WYP-2026-004512", "NP/26/118734"},
		"dob":      {"on [[DATE|14/03/1986]]", "in [[DATE|March '86]]", "on the [[DATE|3rd of June 1979]]", "[[DATE|1979-06-03]]"},
		"handle":   {"@wiktoria_n", "@bigdave1972", "@siobhan.os"},
	},
	negatives: []string{
		"The Crown Court was less frightening than I expected because someone showed me round first.",
		"I waited three weeks for a call back and by then I had given up.",
		"Victim Support were good, but the Police never told me the case was dropped.",
		"On Tuesday the officer finally came, two hours late, and did not apologise.",
		"It took 4 calls and 2 emails to get anyone to listen.",
		"Social Services should have told me before they spoke to my children.",
		"The Witness Service made the day bearable.",
		"i just want someone to tell me what is happening with my case",
		"The Home Office letter was confusing and nobody could explain it.",
		"In March I was told it would be over by summer, it is now October.",
		"The interpreter spoke Polish but not my dialect so a lot was lost.",
		"Being asked the same questions by five different people made me feel like a liar.",
		"The NHS counselling waiting list is 18 months long.",
		"My Independent Domestic Violence Advisor was the best part of the whole thing.",
		"Nobody from the Council came to fix the lock after the break in.",
		"At Easter they said they would review it again, nothing happened.",
		"The leaflet was only in English and my mum reads Urdu.",
		"Thank you for listening, it means a lot.",
		"They rated the risk as medium but it felt high to me.",
		"Court dates kept moving and my employer lost patience.",
	},
}

// slotKinds labels a pool value that carries no markup of its own.
var slotKinds = map[string]Kind{
	"first": KindName, "first2": KindName, "full": KindName, "phone": KindPhone, "email": KindEmail,
	"postcode": KindPostcode, "vehicle": KindVehicle, "nhs": KindNHS, "nino": KindNINO, "card": KindCard,
	"iban": KindIBAN, "ref": KindRef, "handle": KindHandle,
}

// labelled is one sentence of the set with the spans that identify someone.
type labelled struct {
	Text  string `json:"text"`
	Spans []Span `json:"spans"`
}

var (
	reSlot      = regexp.MustCompile(`\{([a-z0-9]+)\}`)
	reMarkup    = regexp.MustCompile(`\[\[([A-Z_]+)\|([^\]]+)\]\]`)
	reMarkLower = regexp.MustCompile(`\[\[[a-z_]+\|`)
)

// generate makes n sentences of sp, reproducibly from seed: about one in
// eight has no identifier, one in six is written all in lower case.
func (sp split) generate(n int, seed uint64) []labelled {
	r := rand.New(rand.NewPCG(seed, 12))
	out := make([]labelled, 0, n)
	for len(out) < n {
		var marked string
		if r.IntN(8) == 0 {
			marked = sp.negatives[r.IntN(len(sp.negatives))]
		} else {
			t := sp.templates[r.IntN(len(sp.templates))]
			marked = reSlot.ReplaceAllStringFunc(t, func(m string) string {
				slot := m[1 : len(m)-1]
				pool, ok := sp.pools[slot]
				if !ok {
					panic("no pool " + slot)
				}
				v := pool[r.IntN(len(pool))]
				if strings.Contains(v, "[[") {
					return v
				}
				k, ok := slotKinds[slot]
				if !ok {
					panic("no kind for " + slot)
				}
				return fmt.Sprintf("[[%s|%s]]", k, v)
			})
		}
		if r.IntN(6) == 0 { // written all in lower case: the kinds in the markup stay
			marked = reMarkLower.ReplaceAllStringFunc(strings.ToLower(marked), strings.ToUpper)
		}
		out = append(out, unmark(marked))
	}
	return out
}

// unmark turns marked-up text into plain text and its labelled spans.
func unmark(s string) labelled {
	var l labelled
	var b strings.Builder
	last := 0
	for _, m := range reMarkup.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		start := b.Len()
		b.WriteString(s[m[4]:m[5]])
		l.Spans = append(l.Spans, Span{Start: start, End: b.Len(), Kind: Kind(s[m[2]:m[3]])})
		last = m[1]
	}
	b.WriteString(s[last:])
	l.Text = b.String()
	return l
}

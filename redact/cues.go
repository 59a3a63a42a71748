package redact

// cues are the context words around names, places, schools, workplaces and
// roles. They are Candour's own, written for feedback about public services.
type cues struct {
	titles, // a name follows: "PC", "Mrs"
	relations, // a name may follow: "my son", "the officer"
	intro, // a name follows: "called", "named"
	speech, // a name may come before: "… said"
	placeBefore, // a place may follow: "in", "near"
	moveVerbs, // "moved to" a place
	workVerbs, // a workplace follows "works at"
	roleVerbs, // a role follows "works as a"
	schoolSuffix,
	schoolPrefix,
	streetSuffix,
	streetPrefix,
	houseSuffix,
	workSuffix,
	founders, // a person a school or church is named after: "Cardinal Heenan"
	institution, // a workplace suffix whose common words may still name it: "the general infirmary"
	nameParticles,
	function, // words that never start or end a name or place
	generic set // nouns after "the only" that single out no one
}

func words(s ...string) set {
	m := make(set, len(s))
	for _, w := range s {
		m[w] = struct{}{}
	}
	return m
}

func newCues() cues {
	return cues{
		titles: words("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "pc", "dc", "ds", "di", "dci", "dsi", "sgt",
			"sergeant", "constable", "inspector", "officer", "detective", "pcso", "nurse", "sister", "rev", "reverend", "father",
			"imam", "pastor", "rabbi", "cllr", "councillor", "judge", "lord", "lady", "sir", "dame", "auntie", "aunty", "uncle"),
		relations: words("son", "daughter", "husband", "wife", "partner", "ex", "boyfriend", "girlfriend", "brother", "sister",
			"mum", "mother", "dad", "father", "stepdad", "stepmum", "stepson", "stepdaughter", "neighbour", "neighbor", "friend",
			"cousin", "aunt", "uncle", "nan", "grandad", "grandma", "grandson", "granddaughter", "niece", "nephew", "child",
			"kid", "baby", "carer", "landlord", "landlady", "colleague", "boss", "manager", "caseworker", "worker", "advocate",
			"advisor", "adviser", "idva", "isva", "counsellor", "therapist", "teacher", "solicitor", "lawyer", "barrister",
			"officer", "detective", "mentor", "volunteer", "attacker", "abuser", "offender", "suspect", "perpetrator", "stalker",
			"fiancé", "fiance", "fiancée", "twin", "sibling", "granddad", "nanna", "gran", "lodger", "flatmate", "housemate"),
		intro:       words("called", "named", "name's", "names", "called:", "aka"),
		speech:      words("said", "says", "told", "tells", "rang", "rings", "phoned", "texted", "emailed", "asked", "explained", "promised", "visited", "helped", "listened", "shouted", "screamed", "threatened", "laughed", "hit", "kicked", "punched", "followed", "messaged", "wrote", "replied", "believed"),
		placeBefore: words("in", "from", "near", "outside", "around", "round", "nr"),
		moveVerbs:   words("moved", "move", "moving", "went", "go", "going", "rehoused", "relocated", "drove", "travelled", "traveled", "back", "sent", "fled"),
		workVerbs: words("works", "worked", "working", "work", "employed", "job", "shift", "shifts", "volunteers", "volunteer",
			"volunteered", "volunteering", "manager", "supervisor", "nurse", "cleaner", "receptionist", "pharmacist", "driver", "pharmacy", "porter", "staff",
			"drives", "drove", "driving", "delivers", "delivering", "cleans", "clean", "cleaning", "teaches", "teach", "teaching", "cooks", "serves", "based"),
		roleVerbs:    words("as"),
		schoolSuffix: words("school", "academy", "primary", "high", "college", "nursery", "infants", "infant", "juniors", "junior", "grammar", "university", "comprehensive", "secondary"),
		schoolPrefix: words("ysgol", "coleg"),
		streetSuffix: words("road", "rd", "street", "lane", "avenue", "ave", "close", "drive", "way", "crescent", "terrace", "grove", "gardens", "hill", "square", "walk", "mews", "row", "view", "rise", "green", "parade", "estate", "place", "court", "park", "fold", "croft", "gate", "bank", "brow", "wynd", "vale"),
		streetPrefix: words("heol", "ffordd", "stryd", "lon", "rhodfa"),
		houseSuffix: words("cottage", "house", "farm", "lodge", "barn", "manor", "villa", "rectory", "vicarage", "bungalow", "flats",
			"towers", "tower", "hall", "cottages", "mansions", "buildings", "forge", "grange", "stables", "gables", "nook", "hollies",
			"smithy", "granary", "mill", "chapel", "schoolhouse", "farmhouse", "bothy"),
		founders:      words("cardinal", "bishop", "archbishop", "saint", "pope", "blessed", "king", "queen", "prince", "princess", "duke"),
		workSuffix:    words("hospital", "infirmary", "surgery", "clinic", "centre", "center", "depot", "warehouse", "factory", "garage", "pharmacy", "chemist", "chemists", "hotel", "pub", "inn", "arms", "cafe", "café", "restaurant", "takeaway", "salon", "gym", "library", "church", "mosque", "gurdwara", "mandir", "temple", "chapel", "synagogue", "council", "station", "barracks", "prison", "mill", "works", "store", "stores", "supermarket", "shop", "bakery", "motors", "services", "ltd", "limited", "plc", "group"),
		institution:   words("hospital", "infirmary", "surgery", "clinic", "academy", "college"),
		nameParticles: words("bin", "ben", "bint", "van", "von", "de", "da", "del", "della", "di", "du", "al", "el", "le", "la", "o", "mac", "mc", "ní", "nic", "ó", "ap", "ab", "ter", "den", "der", "dos", "das", "st"),
		function: words("the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those",
			"and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by", "with", "is", "was", "are", "were", "be",
			"he", "she", "they", "we", "i", "you", "it", "me", "him", "them", "us", "who", "which", "what", "where", "when",
			"so", "not", "no", "as", "if", "then", "than", "there", "here", "all", "any", "some", "every", "each"),
		generic: words("one", "ones", "person", "people", "thing", "things", "time", "times", "way", "ways", "reason", "option",
			"choice", "help", "problem", "issue", "answer", "support", "contact", "call", "calls", "update", "letter", "place",
			"day", "days", "bit", "part", "chance", "hope", "question", "service", "difference", "advice", "information", "info",
			"explanation", "good", "bad", "positive", "negative", "light", "comfort", "witness", "evidence", "thing", "adult",
			"case", "victim", "man", "woman", "girl", "boy", "member", "kid", "child", "parent", "mum", "dad", "worker", "officer",
			"someone", "anyone", "thing", "job", "sign", "route", "way", "step", "option", "response", "offer", "appointment"),
	}
}

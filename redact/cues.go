package redact

// trait says what a word is: in which word lists and among which cues it is.
// Every word of a text is looked up once; what it is then costs a bit test.
type trait uint64

// The lists of lexicon/*.txt.
const (
	fWord           trait = 1 << iota // a common English word
	fFirst                            // a first name
	fLast                             // a surname
	fPlace                            // a place
	fProper                           // capitalised, but no one's name
	fEmployer                         // a large employer
	fOccupation                       // an occupation
	fDescriptor                       // faith, ethnicity, disability, sexuality
	fPlacePhrase                      // starts a place of several words
	fEmployerPhrase                   // starts an employer of several words

	fTitle        // a name follows: "PC", "Mrs"
	fRelation     // a name may follow: "my son", "the officer"
	fIntro        // a name follows: "called", "named"
	fSpeech       // a name may come before: "… said"
	fPlaceBefore  // a place may follow: "in", "near"
	fMoveVerb     // "moved to" a place
	fWorkVerb     // a workplace follows: "works at"
	fSchoolSuffix // ends a school's name: "Primary"
	fSchoolPrefix // starts a school's name: "Ysgol"
	fStreetSuffix // ends a street's name: "Road"
	fStreetPrefix // starts a street's name: "Heol"
	fHouseSuffix  // ends a house's name: "Cottage"
	fMonth        // a month
	fRefWord      // a reference follows: "crime ref"
	fFounder      // a school or church is named after them: "Cardinal Heenan"
	fWorkSuffix   // ends a workplace's name: "Infirmary"
	fInstitution  // a workplace named with common words: "the general infirmary"
	fParticle     // inside a name: "ap", "bin", "Ní"
	fFunction     // never starts or ends a name or place
	fGeneric      // after "the only", singles out no one
	fDigitWord    // a digit read aloud: "seven", "oh", "double"
	fPlatform     // an account's name follows: "snapchat", "username"
	fNick         // in a nickname's cue: "they call", "known as", "nicknamed"
	fBirth        // a birthday's cue: "born", "DOB"
)

// cues are the context words around names, places, schools, workplaces and
// roles. They are Candour's own, written for feedback about public services.
func cues() map[trait][]string {
	return map[trait][]string{
		fDigitWord:    {"zero", "oh", "o", "nought", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double", "triple", "treble"},
		fNick:         {"nicknamed", "nickname", "alias", "they", "everyone", "everybody", "people", "we", "all", "lads", "friends", "mates", "known", "goes", "go", "went", "going", "name"},
		fBirth:        {"born", "birthday", "bday", "dob", "birth", "b"},
		fProper:       {"http", "https", "www", "html", "htm", "php", "aspx", "nfa", "nfa'd", "nfaed", "nfad"}, // parts of a link, police shorthand: no one's name
		fPlatform:     {"email", "e-mail", "hotmail", "gmail", "outlook", "yahoo", "icloud", "snapchat", "snap", "insta", "instagram", "ig", "tiktok", "twitter", "facebook", "fb", "username", "usernames", "handle", "gamertag", "psn", "xbox", "discord", "telegram", "reddit", "youtube", "onlyfans", "linkedin", "kik", "skype", "steam", "twitch", "bluesky", "threads"},
		fTitle:        {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "pc", "dc", "ds", "di", "dci", "dsi", "sgt", "sergeant", "constable", "inspector", "officer", "detective", "pcso", "nurse", "sister", "rev", "reverend", "father", "imam", "pastor", "rabbi", "cllr", "councillor", "judge", "lord", "lady", "sir", "dame", "auntie", "aunty", "uncle"},
		fRelation:     {"son", "daughter", "husband", "wife", "partner", "ex", "boyfriend", "girlfriend", "brother", "sister", "mum", "mother", "dad", "father", "stepdad", "stepmum", "stepson", "stepdaughter", "neighbour", "neighbor", "friend", "cousin", "aunt", "uncle", "nan", "grandad", "grandma", "grandson", "granddaughter", "niece", "nephew", "child", "kid", "baby", "carer", "landlord", "landlady", "colleague", "boss", "manager", "caseworker", "worker", "advocate", "advisor", "adviser", "idva", "isva", "counsellor", "therapist", "teacher", "solicitor", "lawyer", "barrister", "officer", "detective", "mentor", "volunteer", "attacker", "abuser", "offender", "suspect", "perpetrator", "stalker", "fiancé", "fiance", "fiancée", "twin", "sibling", "granddad", "nanna", "gran", "lodger", "flatmate", "housemate"},
		fIntro:        {"called", "named", "name's", "names", "called:", "aka"},
		fSpeech:       {"said", "says", "told", "tells", "rang", "rings", "phoned", "texted", "emailed", "asked", "explained", "promised", "visited", "helped", "listened", "shouted", "screamed", "threatened", "laughed", "hit", "kicked", "punched", "followed", "messaged", "wrote", "replied", "believed"},
		fPlaceBefore:  {"in", "from", "near", "outside", "around", "round", "nr"},
		fMoveVerb:     {"moved", "move", "moving", "went", "go", "going", "rehoused", "relocated", "drove", "travelled", "traveled", "back", "sent", "fled"},
		fWorkVerb:     {"works", "worked", "working", "work", "employed", "job", "shift", "shifts", "volunteers", "volunteer", "volunteered", "volunteering", "manager", "supervisor", "nurse", "cleaner", "receptionist", "pharmacist", "driver", "pharmacy", "porter", "staff", "drives", "drove", "driving", "delivers", "delivering", "cleans", "clean", "cleaning", "teaches", "teach", "teaching", "cooks", "serves", "based"},
		fSchoolSuffix: {"school", "academy", "primary", "high", "college", "nursery", "infants", "infant", "juniors", "junior", "grammar", "university", "comprehensive", "secondary"},
		fSchoolPrefix: {"ysgol", "coleg"},
		fStreetSuffix: {"road", "rd", "street", "lane", "avenue", "ave", "close", "drive", "way", "crescent", "terrace", "grove", "gardens", "hill", "square", "walk", "mews", "row", "view", "rise", "green", "parade", "estate", "place", "court", "park", "fold", "croft", "gate", "bank", "brow", "wynd", "vale"},
		fStreetPrefix: {"heol", "ffordd", "stryd", "lon", "rhodfa"},
		fHouseSuffix:  {"cottage", "house", "farm", "lodge", "barn", "manor", "villa", "rectory", "vicarage", "bungalow", "flats", "towers", "tower", "hall", "cottages", "mansions", "buildings", "forge", "grange", "stables", "gables", "nook", "hollies", "smithy", "granary", "mill", "chapel", "schoolhouse", "farmhouse", "bothy"},
		fMonth:        {"jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december"},
		fRefWord:      {"crime", "incident", "case", "reference", "ref", "log", "cad", "occurrence", "ticket", "claim", "complaint", "collar", "badge", "shoulder", "warrant", "pc", "pcso", "dc", "ds", "sgt", "officer", "constable", "sergeant", "prison", "prisoner", "offender", "pnc", "nomis", "custody", "crn", "account", "member", "membership", "patient", "hospital", "tenancy", "tenant", "customer", "student", "employee", "payroll", "staff"},
		fFounder:      {"cardinal", "bishop", "archbishop", "saint", "pope", "blessed", "king", "queen", "prince", "princess", "duke"},
		fWorkSuffix:   {"hospital", "infirmary", "surgery", "clinic", "centre", "center", "depot", "warehouse", "factory", "garage", "pharmacy", "chemist", "chemists", "hotel", "pub", "inn", "arms", "cafe", "café", "restaurant", "takeaway", "salon", "gym", "library", "church", "mosque", "gurdwara", "mandir", "temple", "chapel", "synagogue", "council", "station", "barracks", "prison", "mill", "works", "store", "stores", "supermarket", "shop", "bakery", "motors", "services", "ltd", "limited", "plc", "group"},
		fInstitution:  {"hospital", "infirmary", "surgery", "clinic", "academy", "college"},
		fParticle:     {"bin", "ben", "bint", "van", "von", "de", "da", "del", "della", "di", "du", "al", "el", "le", "la", "o", "mac", "mc", "ní", "nic", "ó", "ap", "ab", "ter", "den", "der", "dos", "das", "st"},
		fFunction:     {"the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by", "with", "is", "was", "are", "were", "be", "he", "she", "they", "we", "i", "you", "it", "me", "him", "them", "us", "who", "which", "what", "where", "when", "so", "not", "no", "as", "if", "then", "than", "there", "here", "all", "any", "some", "every", "each"},
		fGeneric:      {"one", "ones", "person", "people", "thing", "things", "time", "times", "way", "ways", "reason", "option", "choice", "help", "problem", "issue", "answer", "support", "contact", "call", "calls", "update", "letter", "place", "day", "days", "bit", "part", "chance", "hope", "question", "service", "difference", "advice", "information", "info", "explanation", "good", "bad", "positive", "negative", "light", "comfort", "witness", "evidence", "thing", "adult", "case", "victim", "man", "woman", "girl", "boy", "member", "kid", "child", "parent", "mum", "dad", "worker", "officer", "someone", "anyone", "thing", "job", "sign", "route", "way", "step", "option", "response", "offer", "appointment"},
	}
}

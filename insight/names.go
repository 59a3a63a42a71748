package insight

// firstNames are common first names in England and Wales (ONS baby names
// lists, all decades); a capitalised word that is one of them is redacted as
// a name, with the capitalised word after it.
var firstNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{
		"Aaron", "Abdul", "Abigail", "Adam", "Adrian", "Ahmed", "Aidan", "Aisha", "Alan", "Albert", "Alex", "Alexander",
		"Alexandra", "Alfie", "Ali", "Alice", "Alison", "Amanda", "Amber", "Amelia", "Amir", "Amy", "Andrea", "Andrew",
		"Angela", "Ann", "Anna", "Anne", "Anthony", "Archie", "Arthur", "Ashley", "Barbara", "Barry", "Ben", "Benjamin",
		"Bethany", "Betty", "Beverley", "Bilal", "Billy", "Brian", "Bridget", "Callum", "Carl", "Carol", "Caroline",
		"Catherine", "Charlie", "Charlotte", "Chloe", "Chris", "Christine", "Christopher", "Claire", "Connor", "Craig",
		"Daniel", "Danielle", "Darren", "David", "Dawn", "Dean", "Deborah", "Declan", "Denise", "Dennis", "Derek",
		"Diane", "Dominic", "Donna", "Dorothy", "Edward", "Eileen", "Eleanor", "Elizabeth", "Ella", "Ellie", "Emily",
		"Emma", "Eric", "Ethan", "Evie", "Faith", "Fatima", "Finley", "Florence", "Frances", "Frank", "Freddie", "Freya",
		"Gail", "Gareth", "Gary", "Gemma", "George", "Georgia", "Gillian", "Grace", "Graham", "Hannah", "Harry", "Harvey",
		"Hassan", "Hayley", "Heather", "Helen", "Henry", "Holly", "Ian", "Imran", "Isaac", "Isabella", "Isla", "Ivy",
		"Jack", "Jacob", "Jade", "James", "Jamie", "Jane", "Janet", "Jason", "Jayden", "Jennifer", "Jessica", "Joan",
		"Joanne", "John", "Jordan", "Joseph", "Joshua", "Joyce", "Julie", "Karen", "Katherine", "Kathleen", "Kayleigh",
		"Keith", "Kelly", "Kevin", "Kieran", "Kirsty", "Laura", "Lauren", "Leah", "Lee", "Leo", "Lewis", "Liam", "Lily",
		"Linda", "Lisa", "Logan", "Louise", "Lucy", "Luke", "Lynn", "Maisie", "Margaret", "Maria", "Marie", "Mark",
		"Martin", "Mary", "Mason", "Matthew", "Megan", "Melanie", "Mia", "Michael", "Michelle", "Mohammed", "Muhammad",
		"Nathan", "Neil", "Nicholas", "Nicola", "Nigel", "Noah", "Oliver", "Olivia", "Oscar", "Pamela", "Patricia",
		"Patrick", "Paul", "Pauline", "Peter", "Philip", "Phoebe", "Poppy", "Priya", "Rachel", "Rebecca", "Reece",
		"Richard", "Robert", "Ronald", "Rosie", "Ruby", "Ryan", "Samantha", "Samuel", "Sandra", "Sarah", "Scott", "Sean",
		"Shannon", "Sharon", "Shirley", "Simon", "Sophie", "Stacey", "Stephen", "Steven", "Stuart", "Susan", "Tanya",
		"Teresa", "Thomas", "Tina", "Toby", "Tom", "Tony", "Tracey", "Tyler", "Valerie", "Vanessa", "Victoria", "Wayne",
		"William", "Yasmin", "Yusuf", "Zara", "Zoe",
	} {
		m[n] = true
	}
	return m
}()

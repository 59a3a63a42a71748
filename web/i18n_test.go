package web

import "testing"

// TestPickLanguage: the language asked for, else the browser's, else
// English.
func TestPickLanguage(t *testing.T) {
	m, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ asked, accept, want string }{
		{"cy", "en-GB,en;q=0.9", "cy"},
		{"en", "cy", "en"},
		{"", "cy-GB,cy;q=0.9,en;q=0.5", "cy"},
		{"", "en-US,en;q=0.9", "en"},
		{"", "fr-FR", "en"},
		{"", "", "en"},
		{"xx", "not a header;;;", "en"},
		{"", "fr;q=0.9,cy;q=0.5", "cy"},
	}
	for _, tt := range tests {
		if got := m.pick(tt.asked, tt.accept); got != tt.want {
			t.Errorf("pick(%q, %q) = %q, want %q", tt.asked, tt.accept, got, tt.want)
		}
	}
}

package insight

import (
	"reflect"
	"testing"
)

func TestSentiment(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"The officer was kind and helpful.", 4},
		{"The officer was not kind.", -2},
		{"Nobody was rude, everyone was patient.", 5},
		{"I felt scared and ignored.", -4},
		{"I waited 3 weeks.", 0},
		{"It wasn’t helpful at all.", -2},
		{"[NAME] was brilliant, thank you.", 6},
	}
	for _, tt := range tests {
		if got := Sentiment(tt.text); got != tt.want {
			t.Errorf("Sentiment(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}

func TestThemes(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"I waited 3 weeks for anyone to call me back.", []string{"communication", "waiting"}},
		{"I did not feel safe going home and nobody asked.", []string{"safety"}},
		{"The person on the phone did not believe me and was rude.", []string{"being_believed", "respect"}},
		{"Fine.", nil},
	}
	for _, tt := range tests {
		if got := ThemesOf(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ThemesOf(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	comments := []string{}
	for range 12 {
		comments = append(comments, "I waited weeks, but they were kind.")
	}
	comments = append(comments, "I felt unsafe.", "I felt unsafe.")
	counts, mean := summarizeComments(comments, 10)
	if counts["waiting"] == nil || *counts["waiting"] != 12 || counts["safety"] != nil || mean == nil {
		t.Errorf("themes %v, mean %v: want waiting 12, safety withheld (2 < 10), a mean", counts, mean)
	}
	if _, m := summarizeComments(comments[:3], 10); m != nil {
		t.Error("a mean sentiment of 3 comments was given")
	}
}

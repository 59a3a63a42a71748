package vault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/sqlite/sqlitetest"
)

type failingLister struct{}

func (failingLister) DataKeysAfter(context.Context, string, int) ([]candour.WrappedKey, error) {
	return nil, errors.New("store down")
}

// TestKeyDirectory: loaded from a store, page by page, the directory knows
// every subject key stored (and not the records' own keys); it says "maybe
// stored" for everything until it has loaded, after a failed load, and once
// it is full; what is added after the load it knows too.
func TestKeyDirectory(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.Open(t)
	stored := []string{"r:0193f0c2", "r:0193f0c3", "s:police-north:0a", "s:victim-support-north:01", "s:victim-support-north:02"}
	for _, id := range stored {
		if _, err := db.AddDataKey(ctx, id, []byte("wrapped")); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		from   KeyLister
		max    int
		load   bool
		add    string
		wantOK bool // the load's error is nil
		want   map[string]bool
	}{
		{name: "not loaded", max: 10, want: map[string]bool{"s:victim-support-north:01": true, "s:victim-support-north:99": true}},
		{name: "loaded", from: db, max: 10, load: true, wantOK: true, want: map[string]bool{
			"s:victim-support-north:01": true, "s:victim-support-north:02": true, "s:police-north:0a": true,
			"s:victim-support-north:99": false, "s:police-north:01": false}},
		{name: "loaded, then one added", from: db, max: 10, load: true, wantOK: true, add: "s:police-north:01", want: map[string]bool{
			"s:police-north:01": true, "s:victim-support-north:99": false}},
		{name: "loaded, then a record's own key added", from: db, max: 10, load: true, wantOK: true, add: "r:0193f0c4", want: map[string]bool{
			"s:victim-support-north:99": false}},
		{name: "load failed", from: failingLister{}, max: 10, load: true, want: map[string]bool{"s:victim-support-north:99": true}},
		{name: "full", from: db, max: 2, load: true, wantOK: true, want: map[string]bool{"s:victim-support-north:99": true, "s:police-north:01": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newKeyDirectory(tt.max)
			if tt.load {
				if err := d.load(ctx, tt.from, 2); (err == nil) != tt.wantOK {
					t.Fatalf("load: %v", err)
				}
				if tt.wantOK && !d.full && len(d.known) != 3 {
					t.Errorf("%d subject keys known after the load, want the 3 stored", len(d.known))
				}
			}
			if tt.add != "" {
				d.add(tt.add)
				if n := len(d.known); !strings.HasPrefix(tt.add, candour.SubjectKeyPrefix) && n != 3 {
					t.Errorf("%d keys known after adding a record's own key, want the 3 subject keys", n)
				}
			}
			for id, want := range tt.want {
				if got := d.mayBeStored(id); got != want {
					t.Errorf("mayBeStored(%q) = %t, want %t", id, got, want)
				}
			}
		})
	}
}

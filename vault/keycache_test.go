package vault

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

func TestKeyCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	tests := []struct {
		name string
		run  func(t *testing.T, c *keyCache)
	}{
		{"hit returns a copy", func(t *testing.T, c *keyCache) {
			c.put("a", key(1), nil)
			got, _, ok := c.get("a")
			if !ok || !bytes.Equal(got, key(1)) {
				t.Fatalf("get = %x, %v", got, ok)
			}
			clear(got)
			if again, _, _ := c.get("a"); !bytes.Equal(again, key(1)) {
				t.Error("clearing the caller's copy changed the cached key")
			}
		}},
		{"expires by age", func(t *testing.T, c *keyCache) {
			c.put("a", key(1), nil)
			el := c.entries["a"]
			stored := el.Value.(*cached).key
			now = now.Add(time.Minute)
			if _, _, ok := c.get("a"); ok {
				t.Error("a key older than MaxAge was served")
			}
			if !bytes.Equal(stored, make([]byte, 32)) {
				t.Error("an expired key was not zeroed")
			}
		}},
		{"expires by uses", func(t *testing.T, c *keyCache) {
			c.put("a", key(1), nil)
			for i := range 3 {
				if _, _, ok := c.get("a"); !ok {
					t.Fatalf("use %d missed", i+1)
				}
			}
			if _, _, ok := c.get("a"); ok {
				t.Error("a key was served past MaxUses")
			}
		}},
		{"bounded size, least recent out", func(t *testing.T, c *keyCache) {
			for i := range 5 {
				c.put(fmt.Sprint(i), key(byte(i)), nil)
			}
			if len(c.entries) != 4 {
				t.Errorf("%d keys cached, want at most 4", len(c.entries))
			}
			if _, _, ok := c.get("0"); ok {
				t.Error("the least recent key stayed")
			}
		}},
		{"drop zeroes", func(t *testing.T, c *keyCache) {
			c.put("a", key(1), nil)
			stored := c.entries["a"].Value.(*cached).key
			c.drop("a")
			if _, _, ok := c.get("a"); ok || !bytes.Equal(stored, make([]byte, 32)) {
				t.Error("a dropped key is still there, or not zeroed")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
			tt.run(t, newKeyCache(CacheLimits{MaxAge: 30 * time.Second, MaxUses: 3, MaxKeys: 4}, clock))
		})
	}
	off := newKeyCache(CacheLimits{}, clock)
	off.put("a", key(1), nil)
	if _, _, ok := off.get("a"); ok {
		t.Error("a disabled cache served a key")
	}
}

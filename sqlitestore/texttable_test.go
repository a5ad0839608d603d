package sqlitestore

import (
	"fmt"
	"testing"
)

// TestTextTable checks that a text table numbers texts in the order they
// come, finds them again across growth and reset, and copies new keys.
func TestTextTable(t *testing.T) {
	tt := newTextTable()
	for round := range 2 {
		for i := range 5000 {
			key := []byte(fmt.Sprintf("name-%d.example.", i))
			n, added := tt.index(key)
			if n != int32(i) || !added {
				t.Fatalf("round %d: index(%s) = %d, %v; want %d, true", round, key, n, added, i)
			}
			key[0] = 'X' // the table keeps its own copy
		}
		for i := range 5000 {
			key := fmt.Sprintf("name-%d.example.", i)
			if n, added := tt.indexString(key); n != int32(i) || added {
				t.Fatalf("indexString(%s) = %d, %v; want %d, false", key, n, added, i)
			}
			if got := string(tt.text(int32(i))); got != key {
				t.Fatalf("text(%d) = %q, want %q", i, got, key)
			}
		}
		if n, added := tt.indexString(""); n != 5000 || !added {
			t.Errorf("the empty text: %d, %v", n, added)
		}
		tt.reset()
	}
}

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

// BenchmarkTextTable measures finding a text already in a table of a
// million, at places that do not repeat in order, as the summary finds the
// rows of records and the writer the ids of names: mostly a wait for
// memory. One op is one index.
func BenchmarkTextTable(b *testing.B) {
	const n = 1 << 20
	tt := newTextTable()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("\x00\x01\x02%dA\x00IN\x0010.%d.%d.%d", i, i>>16, i>>8&255,
			i&255))
		tt.index(keys[i])
	}

	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := keys[uint32(i)*2654435761%n] // a multiplicative hash walks them all
		if _, added := tt.index(key); added {
			b.Fatal("a text added again")
		}
	}
}

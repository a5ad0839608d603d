package sqlitestore

import (
	"hash/maphash"
	"unsafe"
)

// A textTable numbers byte strings densely from 0, in the order they are
// added, and keeps them in one arena. The garbage collector finds no
// pointer to follow in it, whatever its size; a Go map with hundreds of
// thousands of string keys costs a scan of every key at every collection,
// which with the ingest's memory limit came to more than the writer's own
// work.
type textTable struct {
	seed   maphash.Seed
	blocks [][]byte // the entries' bytes, in blocks that are never moved
	at     []uint64 // entry i is blocks[at[i]>>32][uint32(at[i]):][:lens[i]]
	lens   []uint32
	slots  []uint64 // by hash: the hash's high half, then entry+1; 0 when free
}

// textBlock is the size of a block of a textTable; longer texts get a block
// of their own. Blocks rather than one growing arena: appending to a slice
// copies it as it doubles, which allocated twice what the arena held.
const textBlock = 1 << 20

// newTextTable returns an empty table.
func newTextTable() *textTable {
	return &textTable{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

// len returns the number of entries.
func (t *textTable) len() int { return len(t.at) }

// text returns entry i. The bytes are the table's: not to be modified.
func (t *textTable) text(i int32) []byte {
	at, n := t.at[i], t.lens[i]
	start := uint32(at)
	return t.blocks[at>>32][start : start+n : start+n]
}

// store copies key into the blocks and returns where it is.
func (t *textTable) store(key []byte) uint64 {
	last := len(t.blocks) - 1
	if last < 0 || len(t.blocks[last])+len(key) > cap(t.blocks[last]) {
		t.blocks = append(t.blocks, make([]byte, 0, max(textBlock, len(key))))
		last++
	}
	b := t.blocks[last]
	t.blocks[last] = append(b, key...)
	return uint64(last)<<32 | uint64(len(b))
}

// index returns the number of key, adding key when it is new.
func (t *textTable) index(key []byte) (i int32, added bool) {
	h := maphash.Bytes(t.seed, key)
	tag := h &^ (1<<32 - 1)
	mask := uint64(len(t.slots) - 1)
	s := h & mask
	for ; t.slots[s] != 0; s = (s + 1) & mask {
		if slot := t.slots[s]; slot&^(1<<32-1) == tag {
			if e := int32(uint32(slot)) - 1; string(t.text(e)) == string(key) {
				return e, false
			}
		}
	}

	i = int32(len(t.at))
	t.at = append(t.at, t.store(key))
	t.lens = append(t.lens, uint32(len(key)))
	t.slots[s] = tag | uint64(i+1)
	if 2*len(t.at) > len(t.slots) {
		t.grow()
	}
	return i, true
}

// indexString is index for a string, which it does not copy unless new.
func (t *textTable) indexString(key string) (int32, bool) {
	return t.index(unsafe.Slice(unsafe.StringData(key), len(key)))
}

// grow doubles the slots, hashing every entry again.
func (t *textTable) grow() {
	t.slots = make([]uint64, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for e := range t.at {
		h := maphash.Bytes(t.seed, t.text(int32(e)))
		s := h & mask
		for t.slots[s] != 0 {
			s = (s + 1) & mask
		}
		t.slots[s] = h&^(1<<32-1) | uint64(e+1)
	}
}

// reset empties the table, keeping its first block and its slots.
func (t *textTable) reset() {
	if len(t.blocks) > 0 {
		t.blocks = append(t.blocks[:0], t.blocks[0][:0])
	}
	t.at, t.lens = t.at[:0], t.lens[:0]
	clear(t.slots)
}

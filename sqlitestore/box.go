package sqlitestore

import (
	"net/netip"
	"time"
	"unsafe"

	"pdnsx/dnsextract"
)

// maxCachedTexts bounds the caches of address and path texts.
const maxCachedTexts = 4096

// Kinds of mnemonic the writer caches, the high half of its cache key.
const (
	mnemonicType = iota << 16
	mnemonicClass
	mnemonicRcode
	mnemonicOpcode
)

// boxes holds the driver values of a writer's rows that repeat, each
// boxed in an interface once: converting a string or an int64 of 256 or
// more to a driver.Value allocates, and a lookup row has 36 of them.
type boxes struct {
	uint16s    []any // int64(v) for every uint16 v, boxed on first use
	kinds      [256]any
	transports [256]any
	sections   [256]any
	texts      map[string]any     // paths
	addrs      map[netip.Addr]any // address texts
	mnemonics  map[uint32]any     // type, class, rcode and opcode mnemonics
	arena      []byte             // time texts; bytes once handed out are never rewritten
	second     int64              // Unix second of the last time formatted
	prefix     string             // its text up to the fraction, or ""
}

// newBoxes returns empty caches.
func newBoxes() boxes {
	return boxes{
		uint16s:   make([]any, 1<<16),
		texts:     make(map[string]any),
		addrs:     make(map[netip.Addr]any),
		mnemonics: make(map[uint32]any),
	}
}

// uint16 returns v as a boxed int64.
func (b *boxes) uint16(v uint16) any {
	box := b.uint16s[v]
	if box == nil {
		box = int64(v)
		b.uint16s[v] = box
	}
	return box
}

// int returns v as a boxed int64, from the cache when it fits 16 bits.
func (b *boxes) int(v int) any {
	if 0 <= v && v <= 0xffff {
		return b.uint16(uint16(v))
	}
	return int64(v)
}

// uint32 returns v as a boxed int64, from the cache when it fits 16 bits.
func (b *boxes) uint32(v uint32) any {
	if v <= 0xffff {
		return b.uint16(uint16(v))
	}
	return int64(v)
}

// kind returns the boxed name of a lookup kind.
func (b *boxes) kind(k dnsextract.Kind) any {
	if b.kinds[k] == nil {
		b.kinds[k] = k.String()
	}
	return b.kinds[k]
}

// transport returns the boxed name of a transport.
func (b *boxes) transport(t dnsextract.Transport) any {
	if b.transports[t] == nil {
		b.transports[t] = t.String()
	}
	return b.transports[t]
}

// section returns the boxed name of a message section.
func (b *boxes) section(s dnsextract.Section) any {
	if b.sections[s] == nil {
		b.sections[s] = s.String()
	}
	return b.sections[s]
}

// optText returns s boxed from a bounded cache, or nil (NULL) for "".
func (b *boxes) optText(s string) any {
	if s == "" {
		return nil
	}
	box, ok := b.texts[s]
	if !ok {
		if len(b.texts) >= maxCachedTexts {
			clear(b.texts)
		}
		box = s
		b.texts[s] = box
	}
	return box
}

// endpoint returns the boxed address text and port of ap, or two nils.
func (b *boxes) endpoint(ap netip.AddrPort) (addr, port any) {
	if !ap.IsValid() {
		return nil, nil
	}
	a := ap.Addr()
	box, ok := b.addrs[a]
	if !ok {
		if len(b.addrs) >= maxCachedTexts {
			clear(b.addrs)
		}
		box = a.String()
		b.addrs[a] = box
	}
	return box, b.uint16(ap.Port())
}

// mnemonic returns the boxed mnemonic of a type, class, rcode or opcode.
func (b *boxes) mnemonic(kind uint32, v uint16) any {
	key := kind | uint32(v)
	box, ok := b.mnemonics[key]
	if ok {
		return box
	}
	switch kind {
	case mnemonicType:
		box = typeText(v)
	case mnemonicClass:
		box = classText(v)
	case mnemonicRcode:
		box = rcodeText(v)
	default:
		box = opcodeText(uint8(v))
	}
	b.mnemonics[key] = box
	return box
}

// arenaSize is the size of a block of the time text arena.
const arenaSize = 16 << 10

// Lengths of the text of a time in years 0-9999, and of its part up to
// the fraction.
const (
	timeTextLen  = len("2006-01-02T15:04:05.000000000Z")
	secondPrefix = len("2006-01-02T15:04:05.")
)

// time returns t as the case file stores it, or nil (NULL) for the zero
// time. The text lives in an arena of append-only blocks, which saves an
// allocation per time: a block's bytes are never written again once a
// string refers to them, so the string stays immutable. Times of the same
// second as the previous one reuse its text up to the fraction.
func (b *boxes) time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if cap(b.arena)-len(b.arena) < len(timeLayout)+16 {
		b.arena = make([]byte, 0, arenaSize)
	}
	start := len(b.arena)
	if sec := t.Unix(); sec == b.second && b.prefix != "" {
		b.arena = append(b.arena, b.prefix...)
		b.arena = appendDigits(b.arena, t.Nanosecond(), 9)
		b.arena = append(b.arena, 'Z')
	} else {
		b.arena = appendTime(b.arena, t)
		b.second, b.prefix = sec, ""
		if len(b.arena)-start == timeTextLen {
			b.prefix = string(b.arena[start : start+secondPrefix])
		}
	}
	return unsafe.String(&b.arena[start], len(b.arena)-start)
}

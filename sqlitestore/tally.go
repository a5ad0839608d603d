package sqlitestore

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"pdnsx/dnsextract"
)

// A tally sums the passive DNS summary of a run as the writer stores its
// records, so that Finish writes the pdns rows from memory instead of
// reading every record back, joining it to its lookup and sorting them all
// (pdnsRebuild), which took a third of an ingest. It gives the same rows,
// with the same ids, as pdnsRebuild would.
//
// A tally is kept only by a writer that starts on a case without lookups,
// and only while the run adds rows: deleting a capture, a write error or a
// time outside what int64 nanoseconds hold (years 1678 to 2262) drops it,
// and Finish then rebuilds the summary from the rows.
type tally struct {
	folds   *textTable            // reversed names (see reverseName); an entry's number is its fold
	foldOf  []int32               // name id -> its fold+1, or 0 when not seen yet
	keys    *textTable            // key texts; an entry's number is its summary's
	sums    [][]pdnsSum           // in blocks of sumBlock, never moved
	clients map[netip.Addr]uint32 // client -> its number, from 1
	pairs   []uint64              // sum index << 32 | client number, deduplicated when full
	key     []byte                // scratch for a key text
}

// A pdns row summarises the records of one key: an owner name folded for
// ASCII case, a type, a class and the data. The text of a key is the fold
// (4 bytes), the type and the class (2 bytes each, little-endian), then the
// data.
const keyPrefix = 8

// pdnsSum is the running summary of one pdns row.
type pdnsSum struct {
	nameID         int64 // the smallest id of the spellings that carried it
	first, last    int64 // Unix nanoseconds
	count          int64 // lookups that carried the record
	clients        int64 // distinct clients, counted at the end
	lastLookup     int64
	lastClient     uint32
	ttlMin, ttlMax uint32
}

// sumBlock is the number of summaries in a block of tally.sums.
const sumBlock = 1 << 14

// sum returns summary i.
func (t *tally) sum(i int32) *pdnsSum { return &t.sums[i/sumBlock][i%sumBlock] }

// maxPairs is the number of (row, client) pairs a tally collects before
// it deduplicates them. A variable so that tests can lower it.
var maxPairs = 1 << 20

// newTally returns an empty tally.
func newTally() *tally {
	return &tally{folds: newTextTable(), keys: newTextTable(),
		clients: make(map[netip.Addr]uint32)}
}

// fold returns the fold of a name by its id.
func (t *tally) fold(id int64, name string) int32 {
	if id < int64(len(t.foldOf)) && t.foldOf[id] != 0 {
		return t.foldOf[id] - 1
	}
	if id >= int64(len(t.foldOf)) {
		t.foldOf = slices.Grow(t.foldOf, int(id)+1-len(t.foldOf))[:id+1]
	}
	f, _ := t.folds.indexString(reverseName(name))
	t.foldOf[id] = f + 1
	return f
}

// lookupRecords is what a tally needs of the lookup whose records it adds.
type lookupRecords struct {
	id     int64
	at     int64  // Unix nanoseconds of the response, or of the query without one
	client uint32 // the client's number, or 0 for none
}

// lookup returns what add needs of a lookup with the given id, or false
// when its time does not fit the tally.
func (t *tally) lookup(id int64, l *dnsextract.Lookup) (lookupRecords, bool) {
	m := l.Response
	if m == nil {
		m = l.Query
	}
	if y := m.Time.Year(); y < 1678 || y > 2262 {
		return lookupRecords{}, false
	}
	at := m.Time.UnixNano()
	if at == math.MinInt64 || at == math.MaxInt64 {
		return lookupRecords{}, false
	}
	lr := lookupRecords{id: id, at: at}
	if l.Client.IsValid() {
		lr.client = t.client(l.Client.Addr())
	}
	return lr, true
}

// add counts a record of lookup l whose owner name has the id nameID.
func (t *tally) add(l *lookupRecords, nameID int64, rr *dnsextract.Record) {
	at := l.at
	k := binary.LittleEndian.AppendUint32(t.key[:0], uint32(t.fold(nameID, rr.Name)))
	k = binary.LittleEndian.AppendUint16(k, rr.Type)
	k = binary.LittleEndian.AppendUint16(k, rr.Class)
	k = append(k, rr.Data...)
	t.key = k
	i, added := t.keys.index(k)
	if added {
		if i%sumBlock == 0 {
			t.sums = append(t.sums, make([]pdnsSum, 0, sumBlock))
		}
		last := &t.sums[len(t.sums)-1]
		*last = append(*last, pdnsSum{nameID: nameID, first: at, last: at,
			ttlMin: rr.TTL, ttlMax: rr.TTL})
	}
	s := t.sum(i)
	s.nameID = min(s.nameID, nameID)
	s.first, s.last = min(s.first, at), max(s.last, at)
	s.ttlMin, s.ttlMax = min(s.ttlMin, rr.TTL), max(s.ttlMax, rr.TTL)
	if s.lastLookup == l.id {
		return // the same record again in another section
	}
	s.count++
	s.lastLookup = l.id
	if c := l.client; c != 0 && c != s.lastClient {
		s.lastClient = c
		t.pair(uint64(i)<<32 | uint64(c))
	}
}

// client returns the number of a client address.
func (t *tally) client(a netip.Addr) uint32 {
	c, ok := t.clients[a]
	if !ok {
		c = uint32(len(t.clients) + 1)
		t.clients[a] = c
	}
	return c
}

// pair notes that a client saw a row, deduplicating the pairs when they
// fill their slice; the slice doubles only when most pairs are distinct.
func (t *tally) pair(p uint64) {
	if t.pairs == nil {
		t.pairs = make([]uint64, 0, maxPairs)
	}
	if len(t.pairs) == cap(t.pairs) {
		slices.Sort(t.pairs)
		t.pairs = slices.Compact(t.pairs)
		if len(t.pairs) < cap(t.pairs)/2 {
			t.pairs = append(t.pairs, p)
			return
		}
	}
	t.pairs = append(t.pairs, p)
}

// order returns the numbers of the summary rows in the order pdnsRebuild
// stores them (by reversed name, type, class and data), with their
// distinct clients counted.
func (t *tally) order(types, classes *mnemonics) []int32 {
	slices.Sort(t.pairs)
	t.pairs = slices.Compact(t.pairs)
	for _, p := range t.pairs {
		t.sum(int32(p>>32)).clients++
	}
	t.pairs = nil

	byName := make([]int32, t.folds.len())
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int {
		return bytes.Compare(t.folds.text(a), t.folds.text(b))
	})
	rank := make([]int32, len(byName)) // by fold
	for r, f := range byName {
		rank[f] = int32(r)
	}

	order := make([]int32, t.keys.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		ka, kb := t.keys.text(a), t.keys.text(b)
		fa, fb := binary.LittleEndian.Uint32(ka), binary.LittleEndian.Uint32(kb)
		if c := cmp.Compare(rank[fa], rank[fb]); c != 0 {
			return c
		}
		for _, m := range []struct {
			at    int
			texts *mnemonics
		}{{4, types}, {6, classes}} {
			va, vb := binary.LittleEndian.Uint16(ka[m.at:]), binary.LittleEndian.Uint16(kb[m.at:])
			if va != vb {
				if c := strings.Compare(m.texts.text(va), m.texts.text(vb)); c != 0 {
					return c
				}
			}
		}
		return bytes.Compare(ka[keyPrefix:], kb[keyPrefix:])
	})
	return order
}

// writeTally stores the summary a writer tallied in the emptied pdns and
// pdns_addresses tables, through bulk statements on c.
func writeTally(c *sqlite3.SQLiteConn, t *tally) error {
	types, classes := &mnemonics{of: typeText}, &mnemonics{of: classText}
	order := t.order(types, classes)
	pdns, err := newBatch(c, "pdns", pdnsRowColumns, 256)
	if err != nil {
		return err
	}
	defer pdns.close()
	type address struct {
		key [16]byte
		id  int64
	}
	var addrs []address
	for i, n := range order {
		id := int64(i + 1)
		s, key := t.sum(n), t.keys.text(n)
		rtype := types.text(binary.LittleEndian.Uint16(key[4:]))
		data := string(key[keyPrefix:])
		pdns.int(id)
		pdns.int(s.nameID)
		pdns.text(rtype)
		pdns.text(classes.text(binary.LittleEndian.Uint16(key[6:])))
		pdns.text(data)
		pdns.time(time.Unix(0, s.first))
		pdns.time(time.Unix(0, s.last))
		pdns.int(s.count)
		pdns.int(s.clients)
		pdns.int(int64(s.ttlMin))
		pdns.int(int64(s.ttlMax))
		if err := pdns.end(); err != nil {
			return err
		}

		switch rtype {
		case "A", "AAAA":
			if k := addressKeyOfText(data); k != nil {
				addrs = append(addrs, address{[16]byte(k), id})
			}
		case "HTTPS", "SVCB":
			for _, a := range hintAddresses(data) {
				addrs = append(addrs, address{a.As16(), id})
			}
		}
	}
	if err := pdns.drain(); err != nil {
		return err
	}

	slices.SortFunc(addrs, func(a, b address) int {
		return cmp.Or(slices.Compare(a.key[:], b.key[:]), cmp.Compare(a.id, b.id))
	})
	addrs = slices.Compact(addrs)
	ins, err := newBatch(c, "pdns_addresses", []string{"address", "pdns_id"}, 512)
	if err != nil {
		return err
	}
	defer ins.close()
	for _, a := range addrs {
		ins.blob(a.key[:])
		ins.int(a.id)
		if err := ins.end(); err != nil {
			return err
		}
	}
	if err := ins.drain(); err != nil {
		return fmt.Errorf("pdns_addresses: %w", err)
	}
	return nil
}

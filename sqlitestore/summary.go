package sqlitestore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The passive DNS summary is a GROUP BY over every record of the case
// (pdnsRebuild). SQLite computes it by sorting all the records, each with
// its lookup's time and client, which took most of the time an ingest
// spends after reading its captures. summarize computes the same rows with
// the same ids in one pass over the lookups, keeping each one's time and
// client, and one pass over the records in their stored order, adding them
// up in hash tables; it sorts only the summary rows. Two plain scans cost
// SQLite less than the join of pdnsRebuild (1.55 s against 1.86 s on the
// 1M-lookup benchmark case). It gives up, leaving the case as it was, when
// the summary would need more memory than summaryBudget or when the case
// holds values it does not expect (a time in another layout or out of
// range, a NUL in a type); the rebuild then runs in SQL.

// summaryBudget bounds the memory summarize uses, in bytes, as it counts
// it: its tables, not the slack of Go's allocator or the space the tables
// keep free to grow into, which took the heap in use to about a third over
// the count (112 MiB counted, 140 MiB in use on a case just under it), nor
// the batches of hits between readRecords' two goroutines (640 KiB). A
// variable so that tests can lower it.
var summaryBudget = 112 << 20

// Bytes summarize counts for each summary row (its summaryRow and its
// entry in a textTable), each client, beyond the bytes of the key or
// address, and each lookup id; the set of (row, client) pairs counts as the
// slots it holds.
const (
	summaryRowCost    = 88
	summaryClientCost = 32
	summaryLookupCost = 12
)

// summaryNames selects every name's id, in the order of its folded form.
const summaryNames = `SELECT id, rname FROM names ORDER BY rname`

// summaryLookups selects the time and client of every lookup, as
// pdnsRebuild takes them.
const summaryLookups = `SELECT id, coalesce(response_time, query_time), client FROM lookups`

// summaryRecords selects what the summary needs of each record, the
// records of a lookup together (the order of the table's primary key).
const summaryRecords = `SELECT lookup_id, name_id, type, class, data, ttl
FROM records NOT INDEXED ORDER BY lookup_id`

// pdnsRowColumns are the columns of a pdns row, in the order summarize fills them.
var pdnsRowColumns = []string{"id", "name_id", "type", "class", "data", "time_first",
	"time_last", "count", "clients", "ttl_min", "ttl_max"}

// A time of the case is stored as text, 2026-12-03T16:21:13.123456789Z;
// summarize reads it as nanoseconds since 1970 (UTC), which order as the
// text does and give it back, for the years 1678 to 2261 that fit.
const (
	timeTextLen = len("2026-12-03T16:21:13.123456789Z")
	minYear     = 1678
	maxYear     = 2261
)

// timeNanos reads a time stored by the writer. It returns false for any
// other text, and for times it could not give back as they are.
func timeNanos(b []byte) (int64, bool) {
	if len(b) != timeTextLen || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[29] != 'Z' {
		return 0, false
	}
	digits := func(from, to int) (int, bool) {
		v := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := digits(0, 4)
	month, ok2 := digits(5, 7)
	day, ok3 := digits(8, 10)
	hour, ok4 := digits(11, 13)
	minute, ok5 := digits(14, 16)
	sec, ok6 := digits(17, 19)
	nanos, ok7 := digits(20, 29)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || year < minYear || year > maxYear ||
		month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if day < 1 || t.Day() != day {
		return 0, false // a day the month does not have
	}
	return t.UnixNano(), true
}

// summaryRow is the running summary of one pdns row, in 48 bytes.
type summaryRow struct {
	nameID         int64 // the smallest id of the spellings that carried it
	first, last    int64 // times, as timeNanos reads them
	lastLookup     int64
	count          uint32 // lookups that carried the record
	clients        uint32 // distinct clients of those lookups
	ttlMin, ttlMax uint32
}

// summaryBlock is the number of rows in a block of a summary's rows.
const summaryBlock = 1 << 14

// A summary adds up the pdns rows of a case.
type summary struct {
	folds   []int32    // by name id: 1 + the rank of the name's folded form, 0 for none
	base    int64      // the smallest lookup id, that of times[0] and clients[0]
	times   []int64    // by lookup id - base: the time of its records
	clients []uint32   // by lookup id - base: 0 (no client), 1 + a client's index, or below
	keys    *textTable // by row: fold rank (4 bytes, big-endian), type, 0, class, 0, data
	rows    [][]summaryRow
	addrs   *textTable // client addresses
	pairs   pairSet    // row << 32 | 1 + client
	used    int        // bytes counted against summaryBudget, but for the pairs

	// What findRows and tally, on two goroutines, tell each other.
	keyBytes  atomic.Int64 // used, as of the last batch findRows sent
	pairBytes atomic.Int64 // the bytes of pairs' slots
	failed    atomic.Bool  // tally went over budget

	keyed []keyedRow // the pdns_addresses rows, gathered by pack
}

// A keyedRow is a row of pdns_addresses: an address key and a pdns id.
type keyedRow struct {
	key [16]byte
	id  int64
}

// Values of summary.clients besides 0 (a lookup without a client) and 1 +
// a client's index.
const (
	lookupAbsent uint32 = math.MaxUint32     // no lookup has the id
	lookupBad    uint32 = math.MaxUint32 - 1 // a time or client summarize does not expect
)

// row returns summary row i.
func (s *summary) row(i int32) *summaryRow { return &s.rows[i/summaryBlock][i%summaryBlock] }

// summarize empties the pdns table and fills it again from the records of
// the case on c, as pdnsRebuild does. It returns false, with pdns left as
// it was, when it gives up.
func summarize(c *sqlite3.SQLiteConn) (bool, error) {
	s := &summary{keys: newTextTable(), addrs: newTextTable()}
	ok, err := s.sizeFolds(c)
	if err == nil && ok {
		ok, err = s.readNames(c)
	}
	if err == nil && ok {
		ok, err = s.readLookups(c)
	}
	if err == nil && ok {
		ok, err = s.readRecords(c)
	}
	if err != nil || !ok {
		return false, err
	}

	_, err = c.ExecContext(context.Background(),
		"DELETE FROM pdns_addresses; DELETE FROM pdns", nil)
	if err != nil {
		return false, err
	}
	return true, s.write(c)
}

// readNames ranks the names by their folded form (rname).
func (s *summary) readNames(c *sqlite3.SQLiteConn) (bool, error) {
	r, err := newBulkReader(c, summaryNames)
	if err != nil {
		return false, err
	}
	defer r.close()

	var last []byte
	rank := int32(0)
	for r.next() {
		id, ok := r.int()
		rname, isText := r.text()
		if !ok || !isText || id <= 0 || id >= int64(len(s.folds)) {
			return false, nil
		}
		if rank == 0 || !bytes.Equal(rname, last) {
			rank++
			last = append(last[:0], rname...)
		}
		s.folds[id] = rank
	}
	return true, r.err()
}

// sizeFolds makes room in s.folds for every name id of the case.
func (s *summary) sizeFolds(c *sqlite3.SQLiteConn) (bool, error) {
	lo, hi, count, err := idRange(c, "names")
	if err != nil || lo <= 0 || !s.reserve(hi+1, count, 4) {
		return false, err // an id of 0 or below would not fit in folds
	}
	s.folds = make([]int32, hi+1)
	return true, nil
}

// readLookups keeps the time and client of every lookup. They are kept
// from the smallest id on: the ids of captures that a --force or an
// interrupted run replaced are gone from the start of the table.
func (s *summary) readLookups(c *sqlite3.SQLiteConn) (bool, error) {
	lo, hi, count, err := idRange(c, "lookups")
	if err != nil || lo <= 0 || !s.reserve(hi-lo+1, count, summaryLookupCost) {
		return false, err
	}
	n := hi - lo + 1
	s.base = lo
	s.times = make([]int64, n)
	s.clients = make([]uint32, n)
	for i := range s.clients {
		s.clients[i] = lookupAbsent
	}

	r, err := newBulkReader(c, summaryLookups)
	if err != nil {
		return false, err
	}
	defer r.close()
	for r.next() {
		id, ok := r.int()
		if !ok || id < lo || id > hi {
			return false, nil
		}
		s.clients[id-lo] = s.readLookup(r, id-lo)
		if s.over() {
			return false, nil
		}
	}
	return true, r.err()
}

// readLookup reads the time and client of the lookup at index i of
// s.times and s.clients from r. It sets s.times[i] and returns the value
// for s.clients[i].
func (s *summary) readLookup(r *bulkReader, i int64) uint32 {
	t, ok := r.text()
	if !ok {
		return lookupBad
	}
	if s.times[i], ok = timeNanos(t); !ok {
		return lookupBad
	}
	if r.null() {
		return 0
	}
	addr, ok := r.text()
	if !ok {
		return lookupBad // count(DISTINCT) would count a number or a blob
	}
	n, added := s.addrs.index(addr)
	if added {
		s.used += len(addr) + summaryClientCost
	}
	return uint32(n) + 1
}

// idRange returns the smallest and the largest id of table, 1 and 0 when
// it is empty, and its number of rows. Each comes from a query of its own,
// which SQLite answers from the ends of the table's tree or its page
// counts; together in one query they cost a scan of the table (0.14 s for
// the lookups of the 1M-lookup benchmark case, against 0.03 s).
func idRange(c *sqlite3.SQLiteConn, table string) (lo, hi, count int64, err error) {
	r, err := newBulkReader(c, `SELECT coalesce((SELECT min(id) FROM `+table+`), 1),
	coalesce((SELECT max(id) FROM `+table+`), 0), (SELECT count(*) FROM `+table+`)`)
	if err != nil {
		return 0, 0, 0, err
	}
	defer r.close()
	if !r.next() {
		return 0, 0, 0, r.err()
	}
	lo, _ = r.int()
	hi, _ = r.int()
	count, _ = r.int()
	return lo, hi, count, nil
}

// reserve counts cost bytes for each of n ids, kept for count rows, against
// the budget. It returns false when the ids are far sparser than a writer
// leaves them or over the budget.
func (s *summary) reserve(n, count int64, cost int) bool {
	if n < 0 || n > 2*count+1<<20 || int64(cost)*n > int64(summaryBudget-s.used) {
		return false
	}
	s.used += cost * int(n)
	return true
}

// readRecords adds up every record of the case. This goroutine reads the
// records and finds the summary row of each; tally, on another, updates the
// rows. Both halves spend most of their time waiting for memory at random
// places (the keys, the rows, the pairs), and on two cores they wait at once.
func (s *summary) readRecords(c *sqlite3.SQLiteConn) (bool, error) {
	r, err := newBulkReader(c, summaryRecords)
	if err != nil {
		return false, err
	}
	defer r.close()

	full := make(chan []hit, hitBatches)
	free := make(chan []hit, hitBatches)
	for range hitBatches {
		free <- make([]hit, 0, hitBatch)
	}
	tallied := make(chan bool, 1)
	go func() { tallied <- s.tally(full, free) }()

	found := s.findRows(r, full, free)
	close(full)
	if counted := <-tallied; !found || !counted {
		return false, nil
	}
	return true, r.err()
}

// A hit is a record found in the summary: the row it counts for, whether
// the record made the row, and what it adds to it.
type hit struct {
	at, nameID, lookup int64
	row                int32
	client, ttl        uint32
	added              bool
}

// Hits pass from findRows to tally in hitBatches batches of hitBatch hits;
// hitBatch is a variable so that tests can lower it.
var hitBatch = 4096

const hitBatches = 4

// findRows reads the records from r, finds the row of each, and sends them
// to tally in batches on full, taking empty ones from free. It returns false
// when the records hold what summarize does not expect, when the summary
// goes over budget, or when tally gave up.
func (s *summary) findRows(r *bulkReader, full chan<- []hit, free <-chan []hit) bool {
	var key []byte
	batch := <-free
	for r.next() {
		id, ok1 := r.int()
		nameID, ok2 := r.int()
		rtype, ok3 := r.text()
		class, ok4 := r.text()
		data, ok5 := r.text()
		ttl, ok6 := r.int()
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || id <= 0 || ttl < 0 || ttl > math.MaxUint32 ||
			bytes.IndexByte(rtype, 0) >= 0 || bytes.IndexByte(class, 0) >= 0 {
			return false
		}
		if nameID <= 0 || nameID >= int64(len(s.folds)) || s.folds[nameID] == 0 {
			continue // the JOIN with names of pdnsRebuild drops it
		}
		i := id - s.base
		client := lookupAbsent
		if i >= 0 && i < int64(len(s.clients)) {
			client = s.clients[i]
		}
		switch client {
		case lookupAbsent:
			continue // the JOIN with lookups drops it
		case lookupBad:
			return false
		}

		key = binary.BigEndian.AppendUint32(key[:0], uint32(s.folds[nameID]))
		key = append(append(key, rtype...), 0)
		key = append(append(key, class...), 0)
		key = append(key, data...)
		row, added := s.keys.index(key)
		if added {
			if s.used += len(key) + summaryRowCost; s.over() {
				return false
			}
		}
		batch = append(batch, hit{at: s.times[i], nameID: nameID, lookup: id, row: row,
			client: client, ttl: uint32(ttl), added: added})
		if len(batch) == hitBatch {
			s.keyBytes.Store(int64(s.used))
			full <- batch
			if s.failed.Load() {
				return false
			}
			batch = <-free
		}
	}
	s.keyBytes.Store(int64(s.used))
	full <- batch
	return true
}

// tally counts the hits it receives on full into the summary rows, and
// gives each batch back on free. It returns false when the summary goes
// over budget, after which it only passes the batches back.
func (s *summary) tally(full <-chan []hit, free chan<- []hit) bool {
	ok := true
	for batch := range full {
		for j := 0; ok && j < len(batch); j++ {
			ok = s.add(&batch[j])
		}
		if !ok {
			s.failed.Store(true)
		}
		free <- batch[:0]
	}
	return ok
}

// add counts a record into its row. It returns false when the summary
// would go over budget.
func (s *summary) add(h *hit) bool {
	if h.added {
		if h.row%summaryBlock == 0 {
			s.rows = append(s.rows, make([]summaryRow, 0, summaryBlock))
		}
		last := &s.rows[len(s.rows)-1]
		*last = append(*last, summaryRow{nameID: h.nameID, first: h.at, last: h.at,
			ttlMin: h.ttl, ttlMax: h.ttl})
	}

	row := s.row(h.row)
	row.nameID = min(row.nameID, h.nameID)
	row.first, row.last = min(row.first, h.at), max(row.last, h.at)
	row.ttlMin, row.ttlMax = min(row.ttlMin, h.ttl), max(row.ttlMax, h.ttl)
	if row.lastLookup == h.lookup {
		return true // the same record again in another section
	}
	if row.count == math.MaxUint32 {
		return false
	}
	row.count++
	row.lastLookup = h.lookup
	if h.client != 0 {
		if s.pairs.full() && int(s.keyBytes.Load())+8*s.pairs.grown() > summaryBudget {
			return false // the pairs would grow past the budget
		}
		slots := len(s.pairs.slots)
		if s.pairs.add(uint64(h.row)<<32 | uint64(h.client)) {
			row.clients++
		}
		if len(s.pairs.slots) != slots {
			s.pairBytes.Store(int64(8 * len(s.pairs.slots)))
		}
	}
	return true
}

// over reports whether the summary holds more than summaryBudget: the
// bytes findRows counted, and the pairs as tally last left them.
func (s *summary) over() bool { return s.used+int(s.pairBytes.Load()) > summaryBudget }

// write inserts the summary rows into the emptied pdns table, in the order
// of their keys, which is the order of pdnsRebuild's GROUP BY, then their
// addresses into pdns_addresses, as pdnsAddressRows and addHintAddresses
// do. A goroutine packs the rows into buffers while this one inserts the
// buffers packed before, so that the packing and SQLite's inserts run on
// two cores.
func (s *summary) write(c *sqlite3.SQLiteConn) error {
	order := s.order()
	pdns, err := newBatch(c, "pdns", pdnsRowColumns, writeRows) // rows come in pack's buffers
	if err != nil {
		return err
	}
	defer pdns.close()

	free := make(chan *rowBuffer, writeBuffers)
	full := make(chan *rowBuffer, writeBuffers)
	for range writeBuffers {
		free <- &rowBuffer{}
	}
	go s.pack(order, free, full)
	for buf := range full {
		if err == nil {
			err = pdns.insert(buf)
		}
		buf.reset()
		free <- buf
	}
	if err != nil {
		return err
	}
	return s.writeAddresses(c)
}

// writeAddresses inserts the rows pack gathered into the emptied
// pdns_addresses table, in the order of its key.
func (s *summary) writeAddresses(c *sqlite3.SQLiteConn) error {
	slices.SortFunc(s.keyed, func(a, b keyedRow) int {
		if k := bytes.Compare(a.key[:], b.key[:]); k != 0 {
			return k
		}
		return cmp.Compare(a.id, b.id)
	})
	s.keyed = slices.Compact(s.keyed) // a hint given twice in one record

	rows, err := newBatch(c, "pdns_addresses", []string{"address", "pdns_id"}, writeRows)
	if err != nil {
		return err
	}
	defer rows.close()
	for _, r := range s.keyed {
		rows.blob(r.key[:])
		rows.int(r.id)
		if err := rows.end(); err != nil {
			return err
		}
	}
	return rows.drain()
}

// writeBuffers is the number of buffers summary.write passes from packing
// to inserting.
const writeBuffers = 3

// writeRows is the number of rows in each; a variable so that tests can
// lower it.
var writeRows = 1024

// pack packs the summary rows in order into buffers taken from free, and
// sends each on full, which it closes after the last.
func (s *summary) pack(order []rowOrder, free <-chan *rowBuffer, full chan<- *rowBuffer) {
	defer close(full)
	var first, last []byte
	buf := <-free
	for n, o := range order {
		i := o.row
		key := s.keys.text(i)[4:]
		rtype, rest, _ := bytes.Cut(key, []byte{0})
		class, data, _ := bytes.Cut(rest, []byte{0})
		row := s.row(i)
		first = appendTime(first[:0], time.Unix(0, row.first))
		last = appendTime(last[:0], time.Unix(0, row.last))

		buf.int(int64(n + 1))
		buf.int(row.nameID)
		buf.text(string(rtype))
		buf.text(string(class))
		buf.text(string(data))
		buf.text(string(first))
		buf.text(string(last))
		buf.int(int64(row.count))
		buf.int(int64(row.clients))
		buf.int(int64(row.ttlMin))
		buf.int(int64(row.ttlMax))
		buf.endRow()
		s.gatherAddresses(rtype, data, int64(n+1))
		if buf.rows == writeRows {
			full <- buf
			buf = <-free
		}
	}
	full <- buf
}

// gatherAddresses keeps the addresses a pdns row holds, as pdnsAddressRows
// and addHintAddresses find them: the address of an A or AAAA record, the
// hints of an HTTPS or SVCB record whose data passes hintRows' LIKE.
func (s *summary) gatherAddresses(rtype, data []byte, id int64) {
	switch string(rtype) {
	case "A", "AAAA":
		if key, ok := textKey(data); ok {
			s.keyed = append(s.keyed, keyedRow{key, id})
		}
	case "HTTPS", "SVCB":
		text := string(data)
		lower := strings.ToLower(text) // LIKE ignores ASCII case
		if !strings.Contains(lower, "ipv4hint=") && !strings.Contains(lower, "ipv6hint=") {
			return
		}
		for _, a := range hintAddresses(text) {
			s.keyed = append(s.keyed, keyedRow{a.As16(), id})
		}
	}
}

// A rowOrder places a summary row: by the first 8 bytes of its key (its
// fold rank and the start of its type), then by the whole key.
type rowOrder struct {
	head uint64
	row  int32
}

// order returns the summary rows in the order of their keys. Comparing the
// heads first spares most comparisons a read of two keys at random places.
func (s *summary) order() []rowOrder {
	order := make([]rowOrder, s.keys.len())
	var head [8]byte
	for i := range order {
		copy(head[:], s.keys.text(int32(i))) // a key has at least 6 bytes
		order[i] = rowOrder{binary.BigEndian.Uint64(head[:]), int32(i)}
		head = [8]byte{}
	}
	slices.SortFunc(order, func(a, b rowOrder) int {
		if a.head != b.head {
			return cmp.Compare(a.head, b.head)
		}
		return bytes.Compare(s.keys.text(a.row), s.keys.text(b.row))
	})
	return order
}

// A pairSet is a set of non-zero numbers, without pointers for the garbage
// collector to follow.
type pairSet struct {
	slots []uint64
	n     int
}

// full reports whether the next new number makes the set double its slots,
// which it keeps at most three quarters full.
func (p *pairSet) full() bool { return 4*(p.n+1) > 3*len(p.slots) }

// add adds v and reports whether it was new.
func (p *pairSet) add(v uint64) bool {
	if p.full() {
		p.grow()
	}
	mask := uint64(len(p.slots) - 1)
	for i := mix(v) & mask; ; i = (i + 1) & mask {
		switch p.slots[i] {
		case v:
			return false
		case 0:
			p.slots[i] = v
			p.n++
			return true
		}
	}
}

// grown returns the number of slots grow makes.
func (p *pairSet) grown() int { return max(1024, 2*len(p.slots)) }

// grow doubles the slots.
func (p *pairSet) grow() {
	old := p.slots
	p.slots = make([]uint64, p.grown())
	mask := uint64(len(p.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := mix(v) & mask
		for p.slots[i] != 0 {
			i = (i + 1) & mask
		}
		p.slots[i] = v
	}
}

// mix scatters the bits of v (the finalizer of MurmurHash3).
func mix(v uint64) uint64 {
	v ^= v >> 33
	v *= 0xff51afd7ed558ccd
	v ^= v >> 33
	v *= 0xc4ceb9fe1a85ec53
	return v ^ v>>33
}

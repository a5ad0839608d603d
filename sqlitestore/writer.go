package sqlitestore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"

	"pdnsx/dnsextract"
)

// commitRows is the number of rows after which the writer commits its
// transaction on its own.
const commitRows = 50000

// maxCachedNames bounds the writer's name dictionary; past it the
// dictionary starts again and names not in it are looked up in the case.
// A variable so that tests can lower it.
var maxCachedNames = 1 << 20

// Rows per bulk insert, by table. A malformed row may carry 64 KiB.
const (
	lookupBatch    = 256
	recordBatch    = 512
	nameBatch      = 256
	malformedBatch = 16
)

// Capture is a row of the captures table: one input file of a run.
type Capture struct {
	ID          int64
	Path        string // as given on the command line
	Size        int64
	SHA256      string // hex
	Format      string // "pcap", "pcapng", ...
	Compression string // "", "gzip", "zstd"
	LinkTypes   string // e.g. "1,113"
	First, Last time.Time
	Frames      int64
	Messages    int64
	Malformed   int64
	Skipped     string // frames not decoded, by reason
	Status      string // ingesting, complete, truncated, corrupt, failed, interrupted
	Error       string
}

// Writer stores the lookups and malformed payloads of a run in large
// transactions. It must be used from one goroutine. An error from SQLite
// is sticky: every later call returns it, and Close rolls back what was
// not committed.
type Writer struct {
	s     *Store
	runID int64
	err   error
	inTx  bool
	rows  int // rows written since the transaction began

	conn                               *sqlite3.SQLiteConn // the store's, as the batches hold it
	lookups, records, names, malformed *batch
	nameByText                         driver.Stmt // SELECT id FROM names WHERE name = ?
	nameDest                           []driver.Value

	captures    map[int]int64 // capture row ids by the caller's capture index
	lastCapture int           // the index capture returned last, and its row
	lastRow     int64
	nameTexts   *textTable // names as seen, the dictionary of nameIDs
	nameIDs     []int64    // the id of each name of nameTexts
	namesInDB   bool       // names may exist that the dictionary lacks
	nextName    int64
	nextLookup  int64

	recent [recentNames]recentName // names met lately, by the address of their bytes

	types, classes, rcodes, opcodes mnemonics
}

// NewWriter returns the writer of run runID. A store has at most one
// open writer.
func (s *Store) NewWriter(runID int64) (*Writer, error) {
	if s.readOnly {
		return nil, fmt.Errorf("sqlitestore: %s: opened read-only", s.path)
	}
	if s.w != nil {
		return nil, fmt.Errorf("sqlitestore: %s: a writer is already open", s.path)
	}
	w := &Writer{
		s:         s,
		runID:     runID,
		captures:  make(map[int]int64),
		nameTexts: newTextTable(),
		nameDest:  make([]driver.Value, 1),
		types:     mnemonics{of: typeText},
		classes:   mnemonics{of: classText},
		rcodes:    mnemonics{of: rcodeText},
		opcodes:   mnemonics{of: func(v uint16) string { return opcodeText(uint8(v)) }},
	}
	err := s.conn.Raw(func(dc any) error { return w.prepare(dc.(*sqlite3.SQLiteConn)) })
	if err != nil {
		w.closeStmts()
		return nil, s.wrap(err)
	}
	s.w = w
	return w, nil
}

// writeCache is the page cache, in KiB as PRAGMA cache_size takes a
// negative number, while a writer is open: rows are appended in key order,
// and only the names index, when there is one, takes inserts at random
// places.
const writeCache = -16384

// prepare reads the next free ids, shrinks the page cache and prepares the
// statements. The temporary storage goes to disk while the writer is open:
// the unique index of the names may be built inside its transaction, where
// the setting can no longer change, and sorting a million names in memory
// would add their size to the ingest's peak.
func (w *Writer) prepare(c *sqlite3.SQLiteConn) error {
	w.conn = c
	var err error
	_, err = c.ExecContext(context.Background(), fmt.Sprintf(
		"PRAGMA cache_size = %d; PRAGMA temp_store = FILE", writeCache), nil)
	if err != nil {
		return err
	}
	if w.nextName, err = maxID(c, "names"); err != nil {
		return err
	}
	if w.nextLookup, err = maxID(c, "lookups"); err != nil {
		return err
	}
	w.namesInDB = w.nextName > 0
	if w.namesInDB {
		if err := indexNames(c); err != nil {
			return err
		}
	}
	w.nextName++
	w.nextLookup++

	if w.lookups, err = newBatch(c, "lookups", lookupColumns, lookupBatch); err != nil {
		return err
	}
	if w.records, err = newBatch(c, "records", recordColumns, recordBatch); err != nil {
		return err
	}
	if w.names, err = newBatch(c, "names", nameColumns, nameBatch); err != nil {
		return err
	}
	w.malformed, err = newBatch(c, "malformed", malformedColumns, malformedBatch)
	if err != nil {
		return err
	}
	w.nameByText, err = c.Prepare("SELECT id FROM names WHERE name = ?")
	return err
}

// indexNames gives the names of the case their unique index, unless they
// have it: the writer looks names up by their text once its dictionary no
// longer holds them all.
func indexNames(c *sqlite3.SQLiteConn) error {
	n, err := queryInt(c, namesIndexed)
	if err != nil || n > 0 {
		return err
	}
	_, err = c.ExecContext(context.Background(), namesIndex, nil)
	return err
}

// maxID returns the largest id in table, or 0 when it is empty.
func maxID(c *sqlite3.SQLiteConn, table string) (int64, error) {
	return queryInt(c, "SELECT coalesce(max(id), 0) FROM "+table)
}

// queryInt returns the integer that query selects first.
func queryInt(c *sqlite3.SQLiteConn, query string) (int64, error) {
	rows, err := c.QueryContext(context.Background(), query, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return 0, err
	}
	n, _ := dest[0].(int64)
	return n, nil
}

// run calls f with the store's SQLite connection, unless an earlier call
// failed. An error from f becomes the writer's sticky error.
func (w *Writer) run(f func(c *sqlite3.SQLiteConn) error) error {
	if w.err != nil {
		return w.err
	}
	err := w.s.conn.Raw(func(dc any) error { return f(dc.(*sqlite3.SQLiteConn)) })
	if err != nil {
		w.err = w.s.wrap(err)
	}
	return w.err
}

// begin opens the writer's transaction if none is open.
func (w *Writer) begin(c *sqlite3.SQLiteConn) error {
	if w.inTx {
		return nil
	}
	if _, err := c.ExecContext(context.Background(), "BEGIN", nil); err != nil {
		return err
	}
	w.inTx = true
	w.rows = 0
	return nil
}

// commit inserts the buffered rows and commits the open transaction.
func (w *Writer) commit(c *sqlite3.SQLiteConn) error {
	if !w.inTx {
		return nil
	}
	if err := w.drain(); err != nil {
		return err
	}
	if _, err := c.ExecContext(context.Background(), "COMMIT", nil); err != nil {
		return err
	}
	w.inTx = false
	w.s.wb.start()
	return nil
}

// drain inserts every buffered row.
func (w *Writer) drain() error {
	return errors.Join(w.names.drain(), w.lookups.drain(), w.records.drain(),
		w.malformed.drain())
}

// StartCapture inserts the row of a capture the run begins to read, with
// status "ingesting", and sets c.ID. index is the caller's number for the
// capture, the one dnsextract.FrameRef.Capture holds.
func (w *Writer) StartCapture(index int, c *Capture) error {
	return w.run(func(conn *sqlite3.SQLiteConn) error {
		if err := w.begin(conn); err != nil {
			return err
		}
		res, err := conn.ExecContext(context.Background(), `INSERT INTO captures(run_id, path,
			size, sha256, format, compression, link_types, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'ingesting')`, namedValues(w.runID, c.Path, c.Size,
			optText(c.SHA256), optText(c.Format), optText(c.Compression),
			optText(c.LinkTypes)))
		if err != nil {
			return err
		}
		if c.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		w.captures[index] = c.ID
		w.lastRow = 0
		return nil
	})
}

// FinishCapture stores the final counters and status of a capture and
// commits, so that a finished capture is durable before the next begins.
func (w *Writer) FinishCapture(index int, c *Capture) error {
	ref, ok := w.capture(index)
	if !ok {
		return fmt.Errorf("sqlitestore: capture %d was not started", index)
	}
	return w.run(func(conn *sqlite3.SQLiteConn) error {
		if err := w.begin(conn); err != nil {
			return err
		}
		_, err := conn.ExecContext(context.Background(), `UPDATE captures SET size = ?,
			sha256 = ?, format = ?, compression = ?, link_types = ?, first_time = ?,
			last_time = ?, frames = ?, dns_messages = ?, malformed = ?, skipped = ?,
			status = ?, error = ? WHERE id = ?`, namedValues(c.Size, optText(c.SHA256),
			optText(c.Format), optText(c.Compression), optText(c.LinkTypes),
			timeValue(c.First), timeValue(c.Last), c.Frames, c.Messages, c.Malformed,
			optText(c.Skipped), c.Status, optText(c.Error), ref))
		if err != nil {
			return err
		}
		c.ID = ref
		return w.commit(conn)
	})
}

// AddLookups stores lookups and their records. It stops at the first
// lookup it cannot store (one without messages, or with a frame in a
// capture that was not started) and returns why; the lookups before it
// are stored.
func (w *Writer) AddLookups(ls []*dnsextract.Lookup) error {
	var bad error
	err := w.run(func(c *sqlite3.SQLiteConn) error {
		if err := w.begin(c); err != nil {
			return err
		}
		for _, l := range ls {
			ok, err := w.addLookup(l)
			if err != nil {
				return err
			}
			if !ok {
				bad = w.badLookup(l)
				break
			}
		}
		return w.maybeCommit(c)
	})
	if err != nil {
		return err
	}
	return bad
}

// AddMalformed stores DNS payloads that could not be decoded. It stops
// at the first one whose capture was not started.
func (w *Writer) AddMalformed(ms []*dnsextract.Malformed) error {
	var bad error
	err := w.run(func(c *sqlite3.SQLiteConn) error {
		if err := w.begin(c); err != nil {
			return err
		}
		for _, m := range ms {
			ok, err := w.addMalformed(m)
			if err != nil {
				return err
			}
			if !ok {
				bad = fmt.Errorf("sqlitestore: malformed payload at %v: %w", m.Frames,
					errNoCapture)
				break
			}
		}
		return w.maybeCommit(c)
	})
	if err != nil {
		return err
	}
	return bad
}

// errNoCapture explains a lookup or payload the writer refuses.
var errNoCapture = errors.New("no frame, or a frame in a capture that was not started")

// badLookup describes a lookup the writer refused.
func (w *Writer) badLookup(l *dnsextract.Lookup) error {
	var frames []dnsextract.FrameRef
	for _, m := range []*dnsextract.Message{l.Query, l.Response} {
		if m != nil {
			frames = append(frames, m.Frames...)
		}
	}
	return fmt.Errorf("sqlitestore: lookup of %s at %v: %w", l.Client, frames, errNoCapture)
}

// maybeCommit commits once the transaction holds commitRows rows.
func (w *Writer) maybeCommit(c *sqlite3.SQLiteConn) error {
	if w.rows < commitRows {
		return nil
	}
	return w.commit(c)
}

// Flush commits the rows written so far.
func (w *Writer) Flush() error {
	return w.run(w.commit)
}

// Close commits what was written and releases the writer's statements.
// After an error it rolls back instead. Closing a closed writer does
// nothing.
func (w *Writer) Close() error {
	if w.s.w != w {
		return nil // closed before
	}
	err := w.Flush()
	if err != nil && w.inTx {
		w.s.conn.Raw(func(dc any) error {
			_, rerr := dc.(*sqlite3.SQLiteConn).ExecContext(context.Background(), "ROLLBACK", nil)
			return rerr
		})
		w.inTx = false
	}
	if cerr := w.closeStmts(); err == nil {
		err = w.s.wrap(cerr)
	}
	if cerr := w.s.exec(fmt.Sprintf("PRAGMA cache_size = %d; PRAGMA temp_store = MEMORY",
		queryCache)); err == nil {
		err = cerr
	}
	w.s.w = nil
	if w.err == nil {
		w.err = errWriterClosed
	}
	return err
}

// errWriterClosed is the sticky error of a closed writer.
var errWriterClosed = errors.New("sqlitestore: writer is closed")

// closeStmts finalizes the prepared statements.
func (w *Writer) closeStmts() error {
	var errs []error
	for _, b := range []*batch{w.lookups, w.records, w.names, w.malformed} {
		if b != nil {
			b.close()
		}
	}
	if w.nameByText != nil {
		errs = append(errs, w.nameByText.Close())
	}
	return errors.Join(errs...)
}

// captureOf returns the capture row id of a message's first frame.
func (w *Writer) captureOf(m *dnsextract.Message) (int64, bool) {
	if len(m.Frames) == 0 {
		return 0, false
	}
	return w.capture(m.Frames[0].Capture)
}

// capture returns the row id of a started capture by the caller's index.
func (w *Writer) capture(index int) (int64, bool) {
	if index == w.lastCapture && w.lastRow != 0 {
		return w.lastRow, true
	}
	id, ok := w.captures[index]
	if ok {
		w.lastCapture, w.lastRow = index, id
	}
	return id, ok
}

// nameID returns the id of a name, inserting the name when the case does
// not have it yet.
func (w *Writer) nameID(name string) (int64, error) {
	at := unsafe.StringData(name)
	recent := &w.recent[(uintptr(unsafe.Pointer(at))>>3^uintptr(len(name)))%recentNames]
	if unsafe.StringData(recent.name) == at && len(recent.name) == len(name) && recent.id != 0 {
		return recent.id, nil
	}
	id, err := w.findName(name)
	if err == nil {
		*recent = recentName{name, id}
	}
	return id, err
}

// recentNames is the number of names a writer finds by the address of
// their bytes (see recentName).
const recentNames = 4096

// A recentName is a name the writer saw lately, found again by the address
// of its bytes without hashing them: the decoders intern names, so a name
// that recurs usually comes back as the same string. The entry holds the
// string, so its bytes cannot be freed and reused for another name.
type recentName struct {
	name string
	id   int64
}

// findName returns the id of a name from the dictionary or the case, or
// inserts the name.
func (w *Writer) findName(name string) (int64, error) {
	if len(w.nameIDs) >= maxCachedNames {
		if err := w.names.drain(); err != nil {
			return 0, err
		}
		w.nameTexts.reset()
		w.nameIDs = w.nameIDs[:0]
		w.namesInDB = true
		if err := indexNames(w.conn); err != nil {
			return 0, err
		}
	}
	entry, added := w.nameTexts.indexString(name)
	if !added {
		return w.nameIDs[entry], nil
	}
	if w.namesInDB {
		id, found, err := w.lookupName(name)
		if err != nil {
			w.nameTexts.reset() // the entry just added has no id
			w.nameIDs = w.nameIDs[:0]
			return 0, err
		}
		if found {
			w.nameIDs = append(w.nameIDs, id)
			return id, nil
		}
	}

	id := w.nextName
	w.nextName++
	w.nameIDs = append(w.nameIDs, id)
	row := &w.names.rowBuffer
	row.int(id)
	row.text(name)
	row.text(reverseName(name))
	w.rows++
	return id, w.names.end()
}

// lookupName looks a name up in the case.
func (w *Writer) lookupName(name string) (int64, bool, error) {
	args := []driver.NamedValue{{Ordinal: 1, Value: name}}
	rows, err := w.nameByText.(driver.StmtQueryContext).QueryContext(context.Background(), args)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	err = rows.Next(w.nameDest)
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	id, _ := w.nameDest[0].(int64)
	return id, true, nil
}

// namedValues turns arguments into the driver's form.
func namedValues(args ...any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// optText returns s, or nil (NULL) for "".
func optText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeValue returns t as the case file stores it, or nil (NULL) for the
// zero time.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return string(appendTime(nil, t))
}

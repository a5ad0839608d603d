package sqlitestore

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// batch buffers the rows of one table and inserts them through a bulk
// statement: the rows of a batch cross into SQLite in one cgo call, where
// database/sql would pay a conversion and a crossing per value. The
// writer appends each value of a row in column order with the typed
// methods below, then calls end; nothing is boxed in an interface.
type batch struct {
	size int // rows per insert
	*bulkStmt
}

// newBatch prepares the statement that inserts into columns of table, rows
// at a time. When the first column is id, the table's INTEGER PRIMARY KEY,
// the statement leaves it out and the batch checks that SQLite numbers the
// rows as the writer did (see insert_rows in bulk.go). An INSERT of several
// rows that may abort half-way, which one naming the rowid or using the
// default conflict handling may, makes SQLite keep a statement journal of
// every page it changes: 3.7 GB of writes for the 1M-lookup benchmark
// capture. Hence also OR FAIL: a failed insert ends the writer, whose
// transaction is rolled back, so rows a failed statement leaves are lost
// with it.
func newBatch(c *sqlite3.SQLiteConn, table string, columns []string, rows int) (*batch, error) {
	cols := len(columns)
	params := columns
	if columns[0] == "id" {
		params = columns[1:]
	}
	head := "INSERT OR FAIL INTO " + table + "(" + strings.Join(params, ", ") + ") VALUES "
	row := "(?" + strings.Repeat(", ?", len(params)-1) + ")"
	st, err := prepareBulk(c, head+row, cols)
	if err != nil {
		return nil, err
	}
	st.rowid = len(params) < cols
	if per := min(rowsPerStatement, rows); per > 1 {
		if err := st.prepareMany(head+row+strings.Repeat(", "+row, per-1), per); err != nil {
			st.close()
			return nil, err
		}
	}
	return &batch{size: rows, bulkStmt: st}, nil
}

// rowsPerStatement is the number of rows a batch's INSERT statement takes
// at once; with 36 columns it stays far below SQLite's 32,766 parameters.
const rowsPerStatement = 32

// end closes the row being appended, and inserts the buffered rows when
// they fill a batch.
func (b *batch) end() error {
	b.endRow()
	if b.rows < b.size {
		return nil
	}
	return b.exec()
}

// drain inserts the rows still buffered.
func (b *batch) drain() error { return b.exec() }

// discard forgets the buffered rows.
func (b *batch) discard() { b.reset() }

// optText appends s, or NULL for "".
func (r *rowBuffer) optText(s string) {
	if s == "" {
		r.null()
		return
	}
	r.text(s)
}

// time appends t as the case file stores it (see appendTime), or NULL for
// the zero time.
func (r *rowBuffer) time(t time.Time) {
	if t.IsZero() {
		r.null()
		return
	}
	at := r.openText()
	r.b = appendTime(r.b, t)
	r.closeText(at)
}

// addr appends the text of an address ("10.1.2.3", "2001:db8::1").
func (r *rowBuffer) addr(a netip.Addr) {
	at := r.openText()
	r.b = a.AppendTo(r.b)
	r.closeText(at)
}

// endpoint appends the address and port of ap, or two NULLs.
func (r *rowBuffer) endpoint(ap netip.AddrPort) {
	if !ap.IsValid() {
		r.null()
		r.null()
		return
	}
	r.addr(ap.Addr())
	r.int(int64(ap.Port()))
}

// flag appends 1 when bit is set in flags, else 0.
func (r *rowBuffer) flag(flags, bit uint16) { r.bool(flags&bit != 0) }

// bool appends 1 for true and 0 for false.
func (r *rowBuffer) bool(v bool) {
	if v {
		r.int(1)
		return
	}
	r.int(0)
}

// openText starts a text value whose bytes the caller appends to r.b, and
// returns where its length goes.
func (r *rowBuffer) openText() int {
	r.b = append(r.b, tagText, 0, 0, 0, 0)
	return len(r.b) - 4
}

// closeText writes the length of the text value opened at at.
func (r *rowBuffer) closeText(at int) {
	binary.NativeEndian.PutUint32(r.b[at:], uint32(len(r.b)-at-4))
}

package sqlitestore

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// batch buffers the rows of one table and inserts them through a bulk
// statement: the rows of a batch cross into SQLite in one cgo call, where
// database/sql would pay a conversion and a crossing per value.
type batch struct {
	cols  int
	rows  int                 // rows per insert
	args  []driver.NamedValue // the row being filled
	stmt  *bulkStmt
	table string
}

// newBatch prepares the statement that inserts into columns of table, rows
// at a time.
func newBatch(c *sqlite3.SQLiteConn, table string, columns []string, rows int) (*batch, error) {
	cols := len(columns)
	query := "INSERT INTO " + table + "(" + strings.Join(columns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", cols-1) + ")"
	st, err := prepareBulk(c, query, cols)
	if err != nil {
		return nil, err
	}
	b := &batch{cols: cols, rows: rows, args: make([]driver.NamedValue, cols), stmt: st,
		table: table}
	for i := range b.args {
		b.args[i].Ordinal = i + 1
	}
	return b, nil
}

// next returns the values of the next row to fill in. The caller must set
// every one of them, then call added.
func (b *batch) next() []driver.NamedValue { return b.args }

// added buffers the row next returned, and inserts the buffered rows when
// they fill a batch.
func (b *batch) added() error {
	st := b.stmt
	for i := range b.args {
		switch v := b.args[i].Value.(type) {
		case nil:
			st.null()
		case int64:
			st.int(v)
		case string:
			st.text(v)
		case []byte:
			st.blob(v)
		case bool:
			st.int(int64(boolInt(v)))
		case time.Time:
			st.text(v.UTC().Format(time.RFC3339Nano))
		default:
			return fmt.Errorf("sqlitestore: %s column %d: unexpected %T", b.table, i+1, v)
		}
	}
	st.endRow()
	if st.rows < b.rows {
		return nil
	}
	return st.exec()
}

// drain inserts the rows still buffered.
func (b *batch) drain() error { return b.stmt.exec() }

// discard forgets the buffered rows.
func (b *batch) discard() { b.stmt.reset() }

// close finalizes the statement.
func (b *batch) close() error {
	b.stmt.close()
	return nil
}

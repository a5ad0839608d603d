package sqlitestore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// batch buffers the rows of one table and inserts them many to a
// statement: INSERT ... VALUES (...),(...),... binds and steps in a single
// call into SQLite, where one statement per row would pay the crossing and
// the statement overhead for every row. Rows left over when the transaction
// commits go in one at a time.
type batch struct {
	cols int
	rows int                 // rows per multi-row statement
	args []driver.NamedValue // rows*cols, ordinals 1..rows*cols
	n    int                 // rows buffered

	many driver.Stmt // rows rows per statement
	one  driver.Stmt // one row per statement
}

// newBatch prepares the statements that insert into columns of table,
// rows at a time.
func newBatch(c *sqlite3.SQLiteConn, table string, columns []string, rows int) (*batch, error) {
	cols := len(columns)
	b := &batch{cols: cols, rows: rows, args: make([]driver.NamedValue, cols*rows)}
	for i := range b.args {
		b.args[i].Ordinal = i + 1
	}

	into := "INSERT INTO " + table + "(" + strings.Join(columns, ", ") + ") VALUES "
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	var err error
	b.one, err = c.Prepare(into + row)
	if err != nil {
		return nil, err
	}
	b.many, err = c.Prepare(into + row + strings.Repeat(", "+row, rows-1))
	if err != nil {
		b.one.Close()
		return nil, err
	}
	return b, nil
}

// next returns the values of the next row to fill in. The caller must set
// every one of them, then call added.
func (b *batch) next() []driver.NamedValue {
	return b.args[b.n*b.cols : (b.n+1)*b.cols]
}

// added counts the row next returned, and inserts the buffered rows when
// they fill a statement.
func (b *batch) added() error {
	b.n++
	if b.n < b.rows {
		return nil
	}
	b.n = 0
	return insert(b.many, b.args)
}

// drain inserts the rows still buffered, one statement each.
func (b *batch) drain() error {
	for i := 0; i < b.n; i++ {
		row := b.args[i*b.cols : (i+1)*b.cols]
		for j := range row {
			row[j].Ordinal = j + 1
		}
		err := insert(b.one, row)
		for j := range row {
			row[j].Ordinal = i*b.cols + j + 1
		}
		if err != nil {
			b.n = 0
			return err
		}
	}
	b.n = 0
	return nil
}

// discard forgets the buffered rows.
func (b *batch) discard() { b.n = 0 }

// close finalizes the statements.
func (b *batch) close() error {
	return errors.Join(b.many.Close(), b.one.Close())
}

// insert runs an INSERT statement. It goes through Query rather than Exec
// because go-sqlite3 binds and steps a query in one cgo call, where Exec
// makes one call per value; an INSERT returns no row.
func insert(st driver.Stmt, args []driver.NamedValue) error {
	rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), args)
	if err != nil {
		return err
	}
	err = rows.Next(nil)
	cerr := rows.Close()
	if err == io.EOF {
		return cerr
	}
	if err == nil {
		err = errors.New("insert returned a row")
	}
	return err
}

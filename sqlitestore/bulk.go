package sqlitestore

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The SQLite C API, as compiled into the binary by github.com/mattn/go-sqlite3.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail);
int sqlite3_bind_int64(sqlite3_stmt *st, int i, long long v);
int sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n, void (*del)(void *));
int sqlite3_bind_blob(sqlite3_stmt *st, int i, const void *v, int n, void (*del)(void *));
int sqlite3_bind_null(sqlite3_stmt *st, int i);
int sqlite3_step(sqlite3_stmt *st);
int sqlite3_reset(sqlite3_stmt *st);
int sqlite3_clear_bindings(sqlite3_stmt *st);
int sqlite3_finalize(sqlite3_stmt *st);
sqlite3 *sqlite3_db_handle(sqlite3_stmt *st);
long long sqlite3_last_insert_rowid(sqlite3 *db);
const char *sqlite3_errmsg(sqlite3 *db);

enum { tagNull, tagInt, tagText, tagBlob };

// bind_row binds the cols values packed at *p by rowBuffer (per value a tag
// byte, then 8 bytes of integer, or 4 bytes of length and the bytes) to the
// parameters of st from first on, and moves *p past them.
static void bind_row(sqlite3_stmt *st, int first, int cols, const unsigned char **pp) {
	const unsigned char *p = *pp;
	for (int c = first; c < first + cols; c++) {
		unsigned char tag = *p++;
		long long v;
		int32_t n;
		switch (tag) {
		case tagInt:
			memcpy(&v, p, 8);
			p += 8;
			sqlite3_bind_int64(st, c, v);
			break;
		case tagText:
		case tagBlob:
			memcpy(&n, p, 4);
			p += 4;
			if (tag == tagText)
				sqlite3_bind_text(st, c, (const char *)p, n, 0);
			else
				sqlite3_bind_blob(st, c, p, n, 0);
			p += n;
			break;
		default:
			sqlite3_bind_null(st, c);
		}
	}
	*pp = p;
}

// step runs st once and resets it; it returns SQLITE_OK (0) or the error.
static int step(sqlite3_stmt *st) {
	int rc = sqlite3_step(st);
	if (rc == 101) // SQLITE_DONE
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

// errRowid is what bulk_insert returns when SQLite gave a row another
// rowid than the one packed for it.
enum { errRowid = -1 };

// take_rowid reads the rowid packed as the first value of the row at *pp,
// moves *pp past it, and reports whether it follows *last (then stored
// there). A first row follows any *last below zero.
static int take_rowid(const unsigned char **pp, long long *last) {
	const unsigned char *p = *pp;
	long long v;
	if (*p != tagInt)
		return 0;
	memcpy(&v, p + 1, 8);
	*pp = p + 9;
	if (*last >= 0 && v != *last + 1)
		return 0;
	*last = v;
	return 1;
}

// insert_rows binds n rows packed at *pp to st, per rows being cols values
// each, steps st once and moves *pp past them. With rowid set, each row
// starts with its rowid, which st does not take: SQLite picks the rowid, one
// above the table's largest, and insert_rows checks it picked the packed one.
static int insert_rows(sqlite3_stmt *st, int n, int cols, int rowid,
		const unsigned char **pp) {
	long long last = -1;
	int params = cols - (rowid != 0);
	for (int i = 0; i < n; i++) {
		if (rowid && !take_rowid(pp, &last))
			return errRowid;
		bind_row(st, 1 + i * params, params, pp);
	}
	int rc = step(st);
	if (rc == 0 && rowid && sqlite3_last_insert_rowid(sqlite3_db_handle(st)) != last)
		return errRowid;
	return rc;
}

// bulk_insert inserts the rows packed in buf: per rows at a time through
// many, an INSERT of per rows, when it is not NULL, and the rest one at a
// time through one. It returns SQLITE_OK (0), errRowid, or the error code of
// the statement that failed.
static int bulk_insert(sqlite3_stmt *one, sqlite3_stmt *many, int per, int cols, int rowid,
		const unsigned char *buf, long rows) {
	const unsigned char *p = buf;
	int rc = 0;
	long r = 0;
	if (many != 0) {
		for (; rows - r >= per && rc == 0; r += per)
			rc = insert_rows(many, per, cols, rowid, &p);
		sqlite3_clear_bindings(many);
	}
	for (; r < rows && rc == 0; r++)
		rc = insert_rows(one, 1, cols, rowid, &p);
	sqlite3_clear_bindings(one);
	return rc;
}
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// The writer inserts rows through SQLite's C API directly: database/sql and
// the driver cost a conversion and a cgo call per value, five times what
// SQLite itself spends on a row (BenchmarkBulkInsert shows it). A bulkStmt
// packs the rows of a batch into one buffer and hands it over in a single
// cgo call, on the same connection, so transactions and locks stay those of
// the Store.

// Value tags of a rowBuffer, as bulk_insert reads them.
const (
	tagNull = iota
	tagInt
	tagText
	tagBlob
)

// rowBuffer packs rows of values for bulk_insert.
type rowBuffer struct {
	b    []byte
	rows int
}

func (r *rowBuffer) null() { r.b = append(r.b, tagNull) }

func (r *rowBuffer) int(v int64) {
	r.b = append(r.b, tagInt)
	r.b = binary.NativeEndian.AppendUint64(r.b, uint64(v))
}

func (r *rowBuffer) text(s string) {
	r.b = append(r.b, tagText)
	r.b = binary.NativeEndian.AppendUint32(r.b, uint32(len(s)))
	r.b = append(r.b, s...)
}

func (r *rowBuffer) blob(v []byte) {
	r.b = append(r.b, tagBlob)
	r.b = binary.NativeEndian.AppendUint32(r.b, uint32(len(v)))
	r.b = append(r.b, v...)
}

// endRow closes a row.
func (r *rowBuffer) endRow() { r.rows++ }

func (r *rowBuffer) reset() { r.b, r.rows = r.b[:0], 0 }

// bulkStmt is an INSERT statement prepared on a connection's handle, fed
// whole batches of rows.
type bulkStmt struct {
	db   *C.sqlite3
	st   *C.sqlite3_stmt
	many *C.sqlite3_stmt // inserts per rows in one step, or nil
	per  int
	cols int // values packed per row
	// rowid tells that the first value packed per row is the row's rowid,
	// which the statements do not take: see insert_rows.
	rowid bool
	rowBuffer
}

// prepareBulk prepares query, an INSERT with cols parameters, on c.
func prepareBulk(c *sqlite3.SQLiteConn, query string, cols int) (*bulkStmt, error) {
	db, st, err := prepareOn(c, query)
	if err != nil {
		return nil, err
	}
	return &bulkStmt{db: db, st: st, cols: cols}, nil
}

// prepareOn compiles query on the SQLite handle of c, and returns both.
func prepareOn(c *sqlite3.SQLiteConn, query string) (*C.sqlite3, *C.sqlite3_stmt, error) {
	db, err := handle(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := prepare(db, query)
	return db, st, err
}

// prepareMany adds the statement that inserts per rows at once, query being
// an INSERT of per rows of the statement's columns. Stepping a statement
// costs SQLite about as much as storing a small row: a statement per several
// rows spares most of it.
func (s *bulkStmt) prepareMany(query string, per int) error {
	st, err := prepare(s.db, query)
	if err != nil {
		return err
	}
	s.many, s.per = st, per
	return nil
}

// prepare compiles query on db.
func prepare(db *C.sqlite3, query string) (*C.sqlite3_stmt, error) {
	q := C.CString(query)
	defer C.free(unsafe.Pointer(q))
	var st *C.sqlite3_stmt
	if rc := C.sqlite3_prepare_v2(db, q, -1, &st, nil); rc != 0 {
		return nil, fmt.Errorf("sqlitestore: preparing %.40q: %s", query,
			C.GoString(C.sqlite3_errmsg(db)))
	}
	return st, nil
}

// exec inserts the buffered rows and empties the buffer.
func (s *bulkStmt) exec() error { return s.insert(&s.rowBuffer) }

// insert inserts the rows of buf, packed for this statement, and empties
// buf.
func (s *bulkStmt) insert(buf *rowBuffer) error {
	if buf.rows == 0 {
		return nil
	}
	rowid := C.int(0)
	if s.rowid {
		rowid = 1
	}
	rc := C.bulk_insert(s.st, s.many, C.int(s.per), C.int(s.cols), rowid,
		(*C.uchar)(unsafe.Pointer(&buf.b[0])), C.long(buf.rows))
	buf.reset()
	if rc == C.errRowid {
		return errRowid
	}
	if rc != 0 {
		return fmt.Errorf("sqlitestore: insert: %s (code %d)",
			C.GoString(C.sqlite3_errmsg(s.db)), int(rc))
	}
	return nil
}

// close finalizes the statements.
func (s *bulkStmt) close() {
	for _, st := range []**C.sqlite3_stmt{&s.st, &s.many} {
		if *st != nil {
			C.sqlite3_finalize(*st)
			*st = nil
		}
	}
}

// errRowid means that SQLite gave an inserted row another rowid than the
// one the writer had chosen for it and other rows may refer to: the table
// changed in a way the writer did not expect.
var errRowid = errors.New("sqlitestore: insert: SQLite chose another rowid than the writer's")

// errNoHandle means the driver's connection type changed shape.
var errNoHandle = errors.New("sqlitestore: cannot reach the SQLite handle of the connection")

// handle returns the sqlite3 handle inside the driver's connection. The
// driver keeps it in an unexported field; TestBulkHandle guards the layout,
// and go.mod pins the driver's version.
func handle(c *sqlite3.SQLiteConn) (*C.sqlite3, error) {
	f, ok := reflect.TypeOf(c).Elem().FieldByName("db")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return nil, errNoHandle
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), f.Offset))
	if p == nil {
		return nil, errNoHandle
	}
	return (*C.sqlite3)(p), nil
}

package sqlitestore

/*
#include <string.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_step(sqlite3_stmt *st);
int sqlite3_column_count(sqlite3_stmt *st);
int sqlite3_column_type(sqlite3_stmt *st, int i);
long long sqlite3_column_int64(sqlite3_stmt *st, int i);
const unsigned char *sqlite3_column_text(sqlite3_stmt *st, int i);
const void *sqlite3_column_blob(sqlite3_stmt *st, int i);
int sqlite3_column_bytes(sqlite3_stmt *st, int i);
int sqlite3_finalize(sqlite3_stmt *st);
const char *sqlite3_errmsg(sqlite3 *db);

enum { readNull, readInt, readText, readBlob };

// row_size returns the bytes the current row of st takes packed.
static long row_size(sqlite3_stmt *st, int cols) {
	long n = 0;
	for (int c = 0; c < cols; c++) {
		switch (sqlite3_column_type(st, c)) {
		case 1: // SQLITE_INTEGER
			n += 9;
			break;
		case 5: // SQLITE_NULL
			n += 1;
			break;
		case 4: // SQLITE_BLOB
			sqlite3_column_blob(st, c);
			n += 5 + sqlite3_column_bytes(st, c);
			break;
		default: // text, and floats read as text
			sqlite3_column_text(st, c);
			n += 5 + sqlite3_column_bytes(st, c);
		}
	}
	return n;
}

// pack_row packs the current row of st at p, as a rowBuffer packs a row,
// and returns the end of it, or NULL when it would pass end. Each value is
// asked of SQLite once, as it is packed.
static unsigned char *pack_row(sqlite3_stmt *st, int cols, unsigned char *p,
		const unsigned char *end) {
	for (int c = 0; c < cols; c++) {
		int type = sqlite3_column_type(st, c);
		if (type == 5) {
			if (end - p < 1)
				return 0;
			*p++ = readNull;
		} else if (type == 1) {
			if (end - p < 9)
				return 0;
			long long v = sqlite3_column_int64(st, c);
			*p++ = readInt;
			memcpy(p, &v, 8);
			p += 8;
		} else {
			const void *v = type == 4 ? sqlite3_column_blob(st, c)
				: (const void *)sqlite3_column_text(st, c);
			int n = sqlite3_column_bytes(st, c);
			if (end - p < 5 + (long)n)
				return 0;
			*p++ = type == 4 ? readBlob : readText;
			memcpy(p, &n, 4);
			p += 4;
			if (n > 0)
				memcpy(p, v, n);
			p += n;
		}
	}
	return p;
}

// bulk_read packs rows of st into buf, which holds size bytes, until the
// next row does not fit or st has no more. *state is 0 before the first
// call; it is 1 while st stands on a row not packed yet, 2 once st is done,
// and a negative SQLite error code when a step failed. It returns the rows
// packed and sets *used to their bytes and *need to the size of the row
// that did not fit.
static long bulk_read(sqlite3_stmt *st, unsigned char *buf, long size, long *used,
		long *need, int *state) {
	int cols = sqlite3_column_count(st);
	unsigned char *p = buf;
	long rows = 0;
	*need = 0;
	for (;;) {
		if (*state != 1) {
			int rc = sqlite3_step(st);
			if (rc == 101) { // SQLITE_DONE
				*state = 2;
				break;
			}
			if (rc != 100) { // SQLITE_ROW
				*state = -rc;
				break;
			}
			*state = 1;
		}
		unsigned char *next = pack_row(st, cols, p, buf + size);
		if (next == 0) {
			*need = row_size(st, cols);
			break;
		}
		p = next;
		*state = 0;
		rows++;
	}
	*used = p - buf;
	return rows;
}
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// A bulkReader reads the rows of a query many at a time: one cgo call
// steps the statement over as many rows as fit in a buffer, packed as a
// rowBuffer packs them, where the driver costs a call per value and a
// string per text. A goroutine of its own fills the next buffer while the
// caller reads one, so SQLite and the caller work on two cores; the
// connection must not be used for anything else until close. The values of
// a row are read in column order; next skips those left unread.
type bulkReader struct {
	db   *C.sqlite3
	st   *C.sqlite3_stmt
	cols int

	buf  []byte // the packed rows being read
	rows int    // rows left in buf, the current one included
	p    int    // offset of the next value in buf
	left int    // values of the current row not read yet

	full  chan readBatch // filled buffers, in order; closed after the last
	empty chan []byte    // buffers read, to fill again
	stop  chan struct{}  // closed by close
	done  chan struct{}  // closed when the filling goroutine has returned
	state C.int          // the filler's final state (see bulk_read)
}

// A readBatch is a buffer of packed rows.
type readBatch struct {
	buf  []byte
	rows int
}

// bulkReadSize is the size of a bulkReader's buffers; a row longer than
// that gets a buffer of its own size.
const bulkReadSize = 1 << 20

// newBulkReader prepares query on c and starts reading its rows.
func newBulkReader(c *sqlite3.SQLiteConn, query string) (*bulkReader, error) {
	db, st, err := prepareOn(c, query)
	if err != nil {
		return nil, err
	}
	r := &bulkReader{db: db, st: st, cols: int(C.sqlite3_column_count(st)),
		full: make(chan readBatch, 1), empty: make(chan []byte, 2),
		stop: make(chan struct{}), done: make(chan struct{})}
	r.empty <- make([]byte, bulkReadSize)
	r.empty <- make([]byte, bulkReadSize)
	go r.fill()
	return r, nil
}

// fill steps the statement into buffers until it is done, fails or the
// reader is closed.
func (r *bulkReader) fill() {
	defer close(r.done)
	defer close(r.full)
	var state C.int
	var need C.long // the size of the row that did not fit last
	for state >= 0 && state != 2 {
		var buf []byte
		select {
		case buf = <-r.empty:
		case <-r.stop:
			return
		}
		if need > C.long(len(buf)) {
			buf = make([]byte, need)
		}

		var used C.long
		n := C.bulk_read(r.st, (*C.uchar)(unsafe.Pointer(&buf[0])), C.long(len(buf)),
			&used, &need, &state)
		if n == 0 {
			r.empty <- buf
			continue
		}
		select {
		case r.full <- readBatch{buf, int(n)}:
		case <-r.stop:
			return
		}
	}
	r.state = state
}

// next moves to the next row. It returns false at the end of the rows or
// on an error, which err then returns.
func (r *bulkReader) next() bool {
	for r.left > 0 {
		r.text()
	}
	if r.rows > 1 {
		r.rows--
		r.left = r.cols
		return true
	}

	if r.buf != nil {
		r.empty <- r.buf
		r.buf = nil
	}
	b, ok := <-r.full
	if !ok {
		r.rows = 0
		return false
	}
	r.buf, r.rows, r.p, r.left = b.buf, b.rows, 0, r.cols
	return true
}

// err returns the error that ended the rows, if any. It waits for the
// filling goroutine: call it once next has returned false.
func (r *bulkReader) err() error {
	<-r.done
	if r.state < 0 {
		return fmt.Errorf("sqlitestore: reading rows: %s (code %d)",
			C.GoString(C.sqlite3_errmsg(r.db)), int(-r.state))
	}
	return nil
}

// int returns the next value of the row as an integer, and false when it
// is NULL or not an integer.
func (r *bulkReader) int() (int64, bool) {
	tag := r.buf[r.p]
	r.p++
	r.left--
	switch tag {
	case tagInt:
		v := int64(binary.NativeEndian.Uint64(r.buf[r.p:]))
		r.p += 8
		return v, true
	case tagText, tagBlob:
		r.p += 4 + int(binary.NativeEndian.Uint32(r.buf[r.p:]))
	}
	return 0, false
}

// null reports whether the next value of the row is NULL, without reading
// it.
func (r *bulkReader) null() bool { return r.buf[r.p] == tagNull }

// text returns the next value of the row as bytes, valid until next, and
// false when it is not text.
func (r *bulkReader) text() ([]byte, bool) {
	tag := r.buf[r.p]
	r.p++
	r.left--
	switch tag {
	case tagText, tagBlob:
		n := int(binary.NativeEndian.Uint32(r.buf[r.p:]))
		r.p += 4
		v := r.buf[r.p : r.p+n : r.p+n]
		r.p += n
		return v, tag == tagText
	case tagInt:
		r.p += 8
	}
	return nil, false
}

// close stops the reading and finalizes the statement.
func (r *bulkReader) close() {
	if r.st != nil {
		close(r.stop)
		<-r.done
		C.sqlite3_finalize(r.st)
		r.st = nil
	}
}

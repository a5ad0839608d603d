package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// rawConn opens a connection for the bulk tests with one table t.
func rawConn(t testing.TB) (*sql.Conn, func()) {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "bulk.db"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(context.Background(),
		`CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n TEXT)`)
	if err != nil {
		t.Fatal(err)
	}
	return conn, func() { conn.Close(); db.Close() }
}

// TestBulkHandle checks that bulk statements reach the driver's handle and
// store every kind of value exactly.
func TestBulkHandle(t *testing.T) {
	conn, done := rawConn(t)
	defer done()
	err := conn.Raw(func(dc any) error {
		st, err := prepareBulk(dc.(*sqlite3.SQLiteConn), `INSERT INTO t VALUES (?,?,?,?)`, 4)
		if err != nil {
			return err
		}
		defer st.close()
		for i := range 3 {
			st.int(int64(i) - 1<<40)
			st.text("é\x00x")
			st.blob([]byte{byte(i), 0, 0xff})
			st.null()
			st.endRow()
		}
		return st.exec()
	})
	if err != nil {
		t.Fatal(err)
	}

	rows, err := conn.QueryContext(context.Background(),
		`SELECT i, s, hex(b), n IS NULL, typeof(s), typeof(b) FROM t ORDER BY i`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := []string{"00FF", "01FF", "02FF"}
	i := 0
	for ; rows.Next(); i++ {
		var n int64
		var s, b, ts, tb string
		var null bool
		if err := rows.Scan(&n, &s, &b, &null, &ts, &tb); err != nil {
			t.Fatal(err)
		}
		if n != int64(i)-1<<40 || s != "é\x00x" || b != want[i][:2]+"00"+want[i][2:] ||
			!null || ts != "text" || tb != "blob" {
			t.Errorf("row %d = %d %q %s %v %s %s", i, n, s, b, null, ts, tb)
		}
	}
	if i != 3 {
		t.Errorf("%d rows, want 3", i)
	}
}

// TestBulkMany checks that rows inserted several per statement, with a
// remainder inserted one at a time, all arrive, in order.
func TestBulkMany(t *testing.T) {
	conn, done := rawConn(t)
	defer done()
	err := conn.Raw(func(dc any) error {
		row := "(?,?,?,?)"
		st, err := prepareBulk(dc.(*sqlite3.SQLiteConn), "INSERT INTO t VALUES "+row, 4)
		if err != nil {
			return err
		}
		defer st.close()
		if err := st.prepareMany("INSERT INTO t VALUES "+strings.Repeat(row+",", 3)+row,
			4); err != nil {
			return err
		}
		for i := range 10 {
			st.int(int64(i))
			st.text(fmt.Sprint(i))
			st.null()
			st.null()
			st.endRow()
		}
		return st.exec()
	})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	err = conn.QueryRowContext(context.Background(),
		`SELECT group_concat(i || '=' || s, ' ') FROM (SELECT i, s FROM t ORDER BY rowid)`).Scan(&got)
	if want := "0=0 1=1 2=2 3=3 4=4 5=5 6=6 7=7 8=8 9=9"; err != nil || got != want {
		t.Errorf("rows %q, %v; want %q", got, err, want)
	}
}

// TestBulkError checks that a failing row reports SQLite's message.
func TestBulkError(t *testing.T) {
	conn, done := rawConn(t)
	defer done()
	_, err := conn.ExecContext(context.Background(), `CREATE UNIQUE INDEX u ON t(i)`)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		st, err := prepareBulk(dc.(*sqlite3.SQLiteConn), `INSERT INTO t(i) VALUES (?)`, 1)
		if err != nil {
			return err
		}
		defer st.close()
		st.int(1)
		st.endRow()
		st.int(1)
		st.endRow()
		return st.exec()
	})
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("duplicate key: error %v, want a UNIQUE constraint failure", err)
	}
}

// BenchmarkBulkInsert compares a row of four values inserted through a bulk
// statement with the same row through database/sql.
func BenchmarkBulkInsert(b *testing.B) {
	for _, per := range []int{1, rowsPerStatement} {
		b.Run(fmt.Sprintf("bulk-%d-per-statement", per), func(b *testing.B) {
			benchmarkBulk(b, per)
		})
	}
	b.Run("database-sql", func(b *testing.B) {
		conn, done := rawConn(b)
		defer done()
		conn.ExecContext(context.Background(), "BEGIN")
		st, err := conn.PrepareContext(context.Background(), `INSERT INTO t VALUES (?,?,?,?)`)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := st.Exec(int64(i), "www.example.com.", []byte{192, 0, 2, 1}, nil); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		conn.ExecContext(context.Background(), "COMMIT")
	})
}

// benchmarkBulk inserts rows of four values through a bulk statement that
// takes per rows at once.
func benchmarkBulk(b *testing.B, per int) {
	conn, done := rawConn(b)
	defer done()
	conn.ExecContext(context.Background(), "BEGIN")
	b.ReportAllocs()
	conn.Raw(func(dc any) error {
		row := "(?,?,?,?)"
		st, err := prepareBulk(dc.(*sqlite3.SQLiteConn), "INSERT INTO t VALUES "+row, 4)
		if err != nil {
			b.Fatal(err)
		}
		defer st.close()
		if per > 1 {
			err := st.prepareMany("INSERT INTO t VALUES "+row+strings.Repeat(","+row, per-1), per)
			if err != nil {
				b.Fatal(err)
			}
		}
		for i := 0; b.Loop(); i++ {
			st.int(int64(i))
			st.text("www.example.com.")
			st.blob([]byte{192, 0, 2, 1})
			st.null()
			st.endRow()
			if st.rows == 1000 {
				if err := st.exec(); err != nil {
					b.Fatal(err)
				}
			}
		}
		return st.exec()
	})
	conn.ExecContext(context.Background(), "COMMIT")
}

// TestRowValues checks the typed values the writer appends (times,
// addresses, endpoints, optional texts, flags) as SQLite stores them.
func TestRowValues(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 16, 21, 13, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		append func(r *rowBuffer)
		want   string // the value, quoted by SQLite's quote()
	}{
		{"time", func(r *rowBuffer) { r.time(t0.Add(123456789)) }, "'2026-12-03T16:21:13.123456789Z'"},
		{"time in a zone", func(r *rowBuffer) { r.time(t0.In(time.FixedZone("X", -7200))) },
			"'2026-12-03T16:21:13.000000000Z'"},
		{"year 10000", func(r *rowBuffer) { r.time(time.Date(10000, 1, 1, 0, 0, 0, 7, time.UTC)) },
			"'10000-01-01T00:00:00.000000007Z'"},
		{"zero time", func(r *rowBuffer) { r.time(time.Time{}) }, "NULL"},
		{"IPv4", func(r *rowBuffer) { r.addr(netip.MustParseAddr("10.1.2.3")) }, "'10.1.2.3'"},
		{"IPv6", func(r *rowBuffer) { r.addr(netip.MustParseAddr("2001:db8::1")) }, "'2001:db8::1'"},
		{"endpoint", func(r *rowBuffer) { r.endpoint(netip.MustParseAddrPort("[::1]:53")) },
			"'::1'|53"},
		{"no endpoint", func(r *rowBuffer) { r.endpoint(netip.AddrPort{}) }, "NULL|NULL"},
		{"text", func(r *rowBuffer) { r.optText("a") }, "'a'"},
		{"no text", func(r *rowBuffer) { r.optText("") }, "NULL"},
		{"flag set", func(r *rowBuffer) { r.flag(0x0200, 0x0200) }, "1"},
		{"flag clear", func(r *rowBuffer) { r.flag(0x0400, 0x0200) }, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, done := rawConn(t)
			defer done()
			_, err := conn.ExecContext(context.Background(), `CREATE TABLE v(a, b)`)
			if err != nil {
				t.Fatal(err)
			}
			err = conn.Raw(func(dc any) error {
				st, err := prepareBulk(dc.(*sqlite3.SQLiteConn), `INSERT INTO v VALUES (?, ?)`, 2)
				if err != nil {
					return err
				}
				defer st.close()
				tc.append(&st.rowBuffer)
				if !strings.Contains(tc.want, "|") {
					st.null() // the second column of a single value
				}
				st.endRow()
				return st.exec()
			})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			err = conn.QueryRowContext(context.Background(),
				`SELECT quote(a) || '|' || quote(b) FROM v`).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if !strings.Contains(want, "|") {
				want += "|NULL"
			}
			if got != want {
				t.Errorf("stored %s, want %s", got, want)
			}
		})
	}
}

package sqlitestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"pdnsx/dnsextract"
)

// pdnsRows returns the pdns and pdns_addresses tables as text, row by row.
func pdnsRows(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT * FROM pdns ORDER BY id`,
		`SELECT hex(address), pdns_id FROM pdns_addresses ORDER BY 1, 2`,
	} {
		for _, line := range queryLines(t, s, q) {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// queryLines returns the rows of a query, one line each.
func queryLines(t *testing.T, s *Store, q string) []string {
	t.Helper()
	rows, err := s.conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// randomLookups returns n answered lookups over few names, spelt in
// random case, few clients (some IPv6) and records of several types, some
// repeated in two sections, over a day.
func randomLookups(rng *rand.Rand, capture, n int) []*dnsextract.Lookup {
	labels := []string{"www", "mail", "cdn", "a", "b", "xn--bcher-kva"}
	domains := []string{"evil.example.", "example.com.", "corp.example.net."}
	types := []uint16{1, 28, 5, 15, 16, 2, 12, 65, 6, 65280}
	spell := func(name string) string {
		b := []byte(name)
		for i := range b {
			if rng.IntN(4) == 0 && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	ls := make([]*dnsextract.Lookup, n)
	for i := range ls {
		name := spell(labels[rng.IntN(len(labels))] + "." + domains[rng.IntN(len(domains))])
		client := fmt.Sprintf("10.0.%d.%d:%d", rng.IntN(2), rng.IntN(9), 1024+i)
		if rng.IntN(5) == 0 {
			client = fmt.Sprintf("[2001:db8::%x]:%d", rng.IntN(9), 1024+i)
		}
		var records []dnsextract.Record
		for range rng.IntN(5) {
			typ := types[rng.IntN(len(types))]
			rec := rr(dnsextract.Answer, spell(name), typ, uint32(rng.IntN(4)*300),
				fmt.Sprintf("198.51.100.%d", rng.IntN(4)))
			switch typ {
			case 28:
				rec.Data = fmt.Sprintf("2001:db8::%d", rng.IntN(4))
			case 65:
				rec.Data = svcbDatas[rng.IntN(len(svcbDatas))]
			}
			records = append(records, rec)
			if rng.IntN(6) == 0 {
				rec.Section = dnsextract.Authority
				records = append(records, rec)
			}
		}
		at := time.Duration(rng.Int64N(int64(24 * time.Hour)))
		ls[i] = answered(capture, int64(2*i+1), client, at, name, records...)
	}
	return ls
}

// svcbDatas are HTTPS record data for randomLookups: address hints the
// summary must find as the SQL of pdnsAddressRows and addHintAddresses
// does, and look-alikes it must not.
var svcbDatas = []string{
	`1 . alpn="h2,h3" ipv4hint="198.51.100.7,198.51.100.8" ipv6hint="2001:db8::7"`,
	`1 . ipv4hint="198.51.100.7,198.51.100.7"`, // the same hint twice
	`1 svc.example. ipv4hint=192.0.2.1,192.0.2.2 port=443`,
	`1 . alpn="x ipv4hint=192.0.2.9" ipv6hint="2001:db8::1,2001:db8::2"`,
	`1 . "ipv4hint"=192.0.2.3`, // no ipv4hint= in the text: LIKE passes it over
	`1 . IPV4HINT="192.0.2.4" ipv6hint="::ffff:192.0.2.5"`,
	`1 . ipv4hint="2001:db8::1" ipv6hint="192.0.2.1"`,
	`198.51.100.1`,
}

// TestSummarizeMatchesSQL checks that the summary computed in memory is
// the one the SQL rebuild gives, row for row and id for id, on the round
// trip cases (mDNS known answers, lookups without a client, other
// classes) and random lookups, after a capture is deleted too, and with
// records left without their lookup.
func TestSummarizeMatchesSQL(t *testing.T) {
	// Small buffers, so that the rows cross from packing to inserting in
	// several, the last one part full, and the records from finding their
	// rows to counting them in many more than there are buffers.
	defer func(n, m int) { writeRows, hitBatch = n, m }(writeRows, hitBatch)
	writeRows, hitBatch = 7, 5
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			s := newCase(t)
			w := startRoundTrip(t, s)
			var ls []*dnsextract.Lookup
			for _, tc := range roundTripCases {
				ls = append(ls, tc.lookup(sampleTime))
			}
			ls = append(ls, randomLookups(rng, capA, 300)...)
			ls = append(ls, randomLookups(rng, capB, 300)...)
			if err := w.AddLookups(ls); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			for _, step := range []string{"ingested", "capture deleted", "lookups deleted"} {
				switch step {
				case "capture deleted":
					if err := s.DeleteCapture(2); err != nil {
						t.Fatal(err)
					}
				case "lookups deleted":
					// Records left without their lookup: the join drops them.
					if err := s.exec(`DELETE FROM lookups WHERE id % 7 = 0`); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Finish(); err != nil {
					t.Fatal(err)
				}
				inMemory := pdnsRows(t, s)
				withBudget(t, 0, func() {
					if err := s.Finish(); err != nil {
						t.Fatal(err)
					}
				})
				inSQL := pdnsRows(t, s)
				if inMemory != inSQL {
					t.Errorf("%s: summary in memory:\n%s\nin SQL:\n%s", step, inMemory, inSQL)
				}
				if strings.Count(inSQL, "\n") < 50 {
					t.Errorf("%s: only %d summary rows", step, strings.Count(inSQL, "\n"))
				}
			}
		})
	}
}

// withBudget runs f with summaryBudget set to n.
func withBudget(t *testing.T, n int, f func()) {
	t.Helper()
	defer func(n int) { summaryBudget = n }(summaryBudget)
	summaryBudget = n
	f()
}

// TestSummarizeGivesUp checks the cases where summarize leaves the
// summary to SQL, and leaves pdns untouched when it does.
func TestSummarizeGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int
		damage string
		want   bool
	}{
		{name: "in budget", budget: 1 << 20, want: true},
		{name: "names over budget", budget: 8},
		{name: "records over budget", budget: 600},
		{name: "time in another layout", budget: 1 << 20,
			damage: `UPDATE lookups SET response_time = '2026-12-03 16:21:13' WHERE id = 1`},
		{name: "time out of range", budget: 1 << 20,
			damage: `UPDATE lookups SET response_time = '2262-04-12T00:00:00.000000000Z' WHERE id = 1`},
		{name: "bad time of a lookup without records", budget: 1 << 20, want: true,
			damage: `DELETE FROM records WHERE lookup_id = 1;
			UPDATE lookups SET response_time = 'yesterday' WHERE id = 1`},
		{name: "records without their lookup", budget: 1 << 20, want: true,
			damage: `DELETE FROM lookups WHERE id = 1`},
		{name: "lookup ids far from 1", budget: 1 << 20, want: true,
			damage: `UPDATE records SET lookup_id = lookup_id + (1 << 40);
			UPDATE lookups SET id = id + (1 << 40)`},
		{name: "name id 0", budget: 1 << 20,
			damage: `INSERT INTO names(id, name, rname) VALUES (0, 'zero.', '.orez')`},
		{name: "lookup id 0", budget: 1 << 20, damage: `UPDATE records SET lookup_id = 0
			WHERE lookup_id = 1; UPDATE lookups SET id = 0 WHERE id = 1`},
		{name: "client not text", budget: 1 << 20,
			damage: `UPDATE lookups SET client = CAST(client AS BLOB)`},
		{name: "name ids far apart", budget: 1 << 20,
			damage: `INSERT INTO names(id, name, rname) VALUES (1 << 40, 'x.', 'x.')`},
		{name: "TTL out of range", budget: 1 << 20,
			damage: `UPDATE records SET ttl = -1 WHERE lookup_id = 1`},
		{name: "NUL in a type", budget: 1 << 20,
			damage: `UPDATE records SET type = 'A' || char(0) WHERE lookup_id = 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pdnsCase(t)
			if err := s.Finish(); err != nil {
				t.Fatal(err)
			}
			before := pdnsRows(t, s)
			if tc.damage != "" {
				if err := s.exec(tc.damage); err != nil {
					t.Fatal(err)
				}
			}
			var got bool
			withBudget(t, tc.budget, func() {
				err := s.conn.Raw(func(dc any) error {
					var err error
					got, err = summarize(dc.(*sqlite3.SQLiteConn))
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			if got != tc.want {
				t.Errorf("summarize = %v, want %v", got, tc.want)
			}
			if after := pdnsRows(t, s); !got && after != before {
				t.Errorf("summarize gave up and changed pdns:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

// TestTimeNanos checks which stored times summarize reads, and that those
// it reads give their text back.
func TestTimeNanos(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"2026-12-03T16:21:13.123456789Z", true},
		{"1678-01-01T00:00:00.000000000Z", true},
		{"2261-12-31T23:59:59.999999999Z", true},
		{"1970-01-01T00:00:00.000000000Z", true},
		{"2024-02-29T12:00:00.000000001Z", true},
		{"1677-12-31T23:59:59.999999999Z", false},
		{"2262-01-01T00:00:00.000000000Z", false},
		{"0000-00-00T00:00:00.000000000Z", false},
		{"2026-13-03T16:21:13.123456789Z", false},
		{"2026-02-29T16:21:13.123456789Z", false},
		{"2026-04-31T16:21:13.123456789Z", false},
		{"2026-12-00T16:21:13.123456789Z", false},
		{"2026-12-03T24:00:00.000000000Z", false},
		{"2026-12-03T16:60:13.123456789Z", false},
		{"2026-12-03T16:21:60.123456789Z", false},
		{"2026-12-03T16:21:13.123456Z", false},
		{"2026-12-03 16:21:13.123456789Z", false},
		{"2026-12-03T16:21:13.12345678xZ", false},
		{"-026-12-03T16:21:13.123456789Z", false},
		{"2026-12-03T16:21:13.123456789+", false},
		{"", false},
	} {
		ns, ok := timeNanos([]byte(tc.text))
		if ok != tc.ok {
			t.Errorf("timeNanos(%q) ok = %v, want %v", tc.text, ok, tc.ok)
			continue
		}
		if got := string(appendTime(nil, time.Unix(0, ns))); ok && got != tc.text {
			t.Errorf("timeNanos(%q) gives %q back", tc.text, got)
		}
	}
}

// FuzzTimeNanos checks that a time summarize reads gives its text back and
// orders as it.
func FuzzTimeNanos(f *testing.F) {
	f.Add("2026-12-03T16:21:13.123456789Z", "2026-12-03T16:21:13.123456790Z")
	f.Add("2026-12-03T16:21:13.123456789Z", "2025-12-03T16:21:13.123456789Z")
	f.Add("1970-01-01T00:00:00.000000000Z", "1969-12-31T23:59:59.999999999Z")
	f.Fuzz(func(t *testing.T, a, b string) {
		na, okA := timeNanos([]byte(a))
		nb, okB := timeNanos([]byte(b))
		if back := string(appendTime(nil, time.Unix(0, na))); okA && back != a {
			t.Fatalf("%q gives %q back", a, back)
		}
		if okA && okB && (na < nb) != (a < b) {
			t.Fatalf("%q < %q is %v, as times %v", a, b, a < b, na < nb)
		}
	})
}

func TestPairSet(t *testing.T) {
	var p pairSet
	seen := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		v := 1 + rng.Uint64N(30000)<<32 | rng.Uint64N(8)
		if got := p.add(v); got != !seen[v] {
			t.Fatalf("add(%#x) = %v, seen before: %v", v, got, seen[v])
		}
		seen[v] = true
	}
	if p.n != len(seen) {
		t.Errorf("%d in the set, want %d", p.n, len(seen))
	}
}

func TestBulkReader(t *testing.T) {
	s := newCase(t)
	long := strings.Repeat("x", bulkReadSize+10) // a row that fills no buffer
	err := s.exec(`CREATE TEMP TABLE t(i INTEGER, v);
		INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, x'0102'), (4, 7), (5, '');
		INSERT INTO t VALUES (6, '` + long + `');
		WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 50000)
		INSERT INTO t SELECT 6 + v, 'row ' || v FROM n;`)
	if err != nil {
		t.Fatal(err)
	}

	err = s.conn.Raw(func(dc any) error {
		r, err := newBulkReader(dc.(*sqlite3.SQLiteConn), `SELECT i, v FROM t ORDER BY i`)
		if err != nil {
			return err
		}
		defer r.close()
		var got []string
		for r.next() {
			i, _ := r.int()
			if i == 4 { // an integer read as text, and text as an integer
				v, isText := r.text()
				got = append(got, fmt.Sprint(i, v, isText))
				continue
			}
			v, isText := r.text()
			if i > 6 && i%1000 != 0 {
				continue
			}
			got = append(got, fmt.Sprint(i, " ", len(v), " ", isText))
		}
		if err := r.err(); err != nil {
			return err
		}
		want := "1 3 true|2 0 false|3 2 false|4 [] false|5 0 true|6 " +
			fmt.Sprint(len(long)) + " true"
		if g := strings.Join(got[:6], "|"); g != want {
			t.Errorf("rows:\n%s\nwant:\n%s", g, want)
		}
		if len(got) != 6+50 {
			t.Errorf("%d rows kept, want %d", len(got), 6+50)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A reader closed before its last row returns, and the connection
	// serves the next statement.
	err = s.conn.Raw(func(dc any) error {
		r, err := newBulkReader(dc.(*sqlite3.SQLiteConn), `SELECT i FROM t`)
		if err != nil {
			return err
		}
		r.next()
		r.close()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "temp.t"); n != 50006 {
		t.Errorf("%d rows in t, want 50006", n)
	}
}

// fuzzLookups turns fuzz input into lookups: a few names in several
// spellings, clients (or none), times over years (some outside those
// timeNanos reads), and records whose data may hold any byte.
func fuzzLookups(data []byte) []*dnsextract.Lookup {
	names := []string{"www.evil.example.", "WWW.Evil.Example.", "evil.example.",
		`we\032ird.example.`, `\000.example.`, "a.b.c.d.example.", "."}
	datas := []string{"203.0.113.7", "2001:db8::7", "", "x\x00y", "x", "ns1.evil.example.",
		strings.Repeat("long ", 200)}
	types := []uint16{1, 28, 2, 5, 16, 65, 65280}
	take := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	var ls []*dnsextract.Lookup
	for i := 0; len(data) > 0 && i < 64; i++ {
		name := names[take()%len(names)]
		client := fmt.Sprintf("10.0.0.%d:%d", take()%4, 1000+i)
		at := time.Duration(take()) * 97 * time.Hour
		var records []dnsextract.Record
		for range take() % 4 {
			rec := rr(dnsextract.Section(1+take()%3), names[take()%len(names)],
				types[take()%len(types)], uint32(take())*1000, datas[take()%len(datas)])
			rec.Class = uint16(1 + take()%2*254)
			records = append(records, rec)
		}
		l := answered(capA, int64(2*i+1), client, at, name, records...)
		switch take() % 64 {
		case 0, 1, 2, 3, 4, 5, 6, 7:
			l.Client = netip.AddrPort{} // no client
		case 8: // a year the stored layout cannot hold: the summary is left to SQL
			l.Response.Time = time.Date(10000+take(), 1, 1, 0, 0, 0, 0, time.UTC)
		case 9: // a year past int64 nanoseconds: left to SQL too
			l.Response.Time = time.Date(2262+30*take(), 1, 1, 0, 0, 0, 0, time.UTC)
		case 10: // the earliest year timeNanos reads
			l.Response.Time = time.Date(1678, 1, 1+take(), 0, 0, 0, 0, time.UTC)
		}
		ls = append(ls, l)
	}
	return ls
}

// FuzzSummary checks that the summary in memory, when it is made, is the
// one SQLite's GROUP BY gives.
func FuzzSummary(f *testing.F) {
	f.Add([]byte{0, 1, 10, 2, 1, 0, 0, 5, 0, 1, 1, 2, 0, 7, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("a fuzzed byte string long enough for several lookups and records"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newCase(t)
		w := startRoundTrip(t, s)
		if err := w.AddLookups(fuzzLookups(data)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}

		err := s.Finish()
		inMemory := pdnsRows(t, s)
		var sqlErr error
		withBudget(t, 0, func() { sqlErr = s.Finish() })
		if (err == nil) != (sqlErr == nil) {
			t.Fatalf("Finish: %v in memory, %v in SQL", err, sqlErr)
		}
		if inSQL := pdnsRows(t, s); inMemory != inSQL {
			t.Fatalf("summary in memory:\n%s\nin SQL:\n%s", inMemory, inSQL)
		}
	})
}

package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"runtime"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// pdnsRebuild empties the passive DNS summary and fills it again from
// every record of the case: one row per owner name (compared without
// ASCII case, through names.rname, so that 0x20-randomised spellings fold
// into one row under the spelling stored first), type, class and data.
// The records are read in their stored order (NOT INDEXED: walking an
// index on name_id would fetch each record at random), each joined to its
// lookup and name by primary key, then sorted once for the GROUP BY. A
// record's time is its response's, or its query's for the known answers
// of an mDNS query. count is the number of responses that carried the
// record, once each even when a response holds it in two sections (NS
// records in the answer and authority sections, say).
const pdnsRebuild = `
DELETE FROM pdns_addresses;
DELETE FROM pdns;
INSERT INTO pdns(name_id, type, class, data, time_first, time_last, count, clients,
	ttl_min, ttl_max)
SELECT min(r.name_id), r.type, r.class, r.data,
	min(coalesce(l.response_time, l.query_time)),
	max(coalesce(l.response_time, l.query_time)),
	count(DISTINCT r.lookup_id), count(DISTINCT l.client), min(r.ttl), max(r.ttl)
FROM records AS r NOT INDEXED
JOIN lookups AS l ON l.id = r.lookup_id
JOIN names AS n ON n.id = r.name_id
GROUP BY n.rname, r.type, r.class, r.data;
`

// pdnsAddressRows fills pdns_addresses from the A and AAAA rows of pdns, in
// the order of its key: rows inserted in pdns order land at random places in
// the table, and once it outgrows the page cache each insert writes back a
// page to read another (310 MB written for a table of 8 MB, on the 1M-lookup
// benchmark case).
const pdnsAddressRows = `INSERT OR IGNORE INTO pdns_addresses(address, pdns_id)
SELECT ` + addressFunc + `(data) AS address, id FROM pdns WHERE type IN ('A', 'AAAA')
ORDER BY address, id`

// addressFunc is the SQL function, registered on the writing connection,
// that turns the data of an A or AAAA record into its address key, or NULL.
const addressFunc = "pdnsx_address"

// hintRows selects the pdns rows of HTTPS and SVCB records that carry
// address hints (RFC 9460 section 7.3).
const hintRows = `SELECT id, data FROM pdns
WHERE type IN ('HTTPS', 'SVCB') AND (data LIKE '%ipv4hint=%' OR data LIKE '%ipv6hint=%')`

// rebuildPDNS rebuilds the pdns and pdns_addresses tables from the
// records, in one transaction (a savepoint inside an open one): in memory
// (summarize) when it can, else in SQL (pdnsRebuild). It never
// adds to what was there: a re-ingest or a replaced capture leaves the
// summary exact.
func (s *Store) rebuildPDNS() error {
	err := s.conn.Raw(func(dc any) error {
		return registerAddressFunc(dc.(*sqlite3.SQLiteConn))
	})
	if err != nil {
		return s.wrap(err)
	}
	return s.sorting(func() error {
		return s.inSavepoint(func(ctx context.Context) error {
			var summarized bool
			err := s.conn.Raw(func(dc any) error {
				var err error
				summarized, err = summarize(dc.(*sqlite3.SQLiteConn))
				return err
			})
			if err != nil || summarized {
				return err // summarize fills pdns_addresses too
			}
			_, err = s.conn.ExecContext(ctx, pdnsRebuild)
			if err == nil {
				_, err = s.conn.ExecContext(ctx, pdnsAddressRows)
			}
			if err != nil {
				return err
			}
			return s.addHintAddresses(ctx)
		})
	})
}

// sortCache is the page cache, in KiB as PRAGMA cache_size takes a negative
// number, while the connection sorts. It also sizes the runs SQLite sorts in
// memory before it merges them from temporary files: runs that fit in the
// processor's caches sort faster. Building the two indexes on lookups of
// the 1M-lookup benchmark case took 1.3 s with 16 MiB, 1.0 s with 4 MiB.
const sortCache = -4096

// sortOnDisk makes the connection's large sorts spill to temporary files
// and use a worker thread per core, and returns the statements that undo
// it. The store keeps temporary storage in memory, where the sort of tens
// of millions of records would be held whole, and SQLite sorts in worker
// threads only with temporary files.
func (s *Store) sortOnDisk() (restore string, err error) {
	ctx := context.Background()
	var store, threads, cache int
	err = s.conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store)
	if err == nil {
		err = s.conn.QueryRowContext(ctx, "PRAGMA threads").Scan(&threads)
	}
	if err == nil {
		err = s.conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache)
	}
	if err != nil {
		return "", s.wrap(err)
	}
	// Each sorting thread may hold as much as the page cache: a smaller cache
	// while sorting keeps the memory of an ingest flat.
	err = s.exec(fmt.Sprintf("PRAGMA temp_store = FILE; PRAGMA threads = %d; "+
		"PRAGMA cache_size = %d", runtime.NumCPU(), sortCache))
	return fmt.Sprintf("PRAGMA temp_store = %d; PRAGMA threads = %d; PRAGMA cache_size = %d",
		store, threads, cache), err
}

// addHintAddresses adds to pdns_addresses the ipv4hint and ipv6hint
// addresses of the HTTPS and SVCB rows of pdns. Such rows are few, so they
// are read into memory before the inserts.
func (s *Store) addHintAddresses(ctx context.Context) error {
	type hint struct {
		id   int64
		addr netip.Addr
	}
	var hints []hint
	rows, err := s.conn.QueryContext(ctx, hintRows)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		for _, a := range hintAddresses(data) {
			hints = append(hints, hint{id, a})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(hints) == 0 {
		return nil
	}

	return withStmt(ctx, s.conn,
		`INSERT OR IGNORE INTO pdns_addresses(address, pdns_id) VALUES (?, ?)`,
		func(st *sql.Stmt) error {
			for _, h := range hints {
				if _, err := st.ExecContext(ctx, AddressKey(h.addr), h.id); err != nil {
					return err
				}
			}
			return nil
		})
}

// withStmt prepares query on conn, calls f with it and closes it.
func withStmt(ctx context.Context, conn *sql.Conn, query string, f func(*sql.Stmt) error) error {
	st, err := conn.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	err = f(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// AddressKey returns the 16-byte key under which pdns_addresses stores an
// address: the IPv6 address itself, or for IPv4 its IPv4-mapped form
// (::ffff:a.b.c.d), so that both families sort in one index and a CIDR
// block is one BETWEEN range. A zone is ignored.
func AddressKey(a netip.Addr) []byte {
	k := a.As16()
	return k[:]
}

// hintAddresses returns the addresses of the ipv4hint and ipv6hint
// parameters in the presentation form of an HTTPS or SVCB record, e.g.
// `1 . alpn="h2" ipv4hint="192.0.2.1,192.0.2.2" ipv6hint="2001:db8::1"`.
// Values that do not parse are skipped.
func hintAddresses(data string) []netip.Addr {
	var addrs []netip.Addr
	for _, field := range svcParams(data) {
		key, value, ok := strings.Cut(field, "=")
		if !ok || (key != "ipv4hint" && key != "ipv6hint") {
			continue
		}
		for _, text := range strings.Split(value, ",") {
			a, err := netip.ParseAddr(text)
			if err != nil || a.Zone() != "" || a.Is4() != (key == "ipv4hint") {
				continue
			}
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// svcParams splits presentation-form record data into its fields at
// spaces outside double quotes, and drops the quotes (a value's escapes
// are kept as written: address hints have none).
func svcParams(data string) []string {
	var fields []string
	var b strings.Builder
	quoted, escaped := false, false
	flush := func() {
		if b.Len() > 0 {
			fields = append(fields, b.String())
			b.Reset()
		}
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case escaped:
			escaped = false
			b.WriteByte(c)
		case c == '\\':
			escaped = true
			b.WriteByte(c)
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted:
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return fields
}

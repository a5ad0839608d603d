package sqlitestore

import (
	"context"
	"strings"
	"testing"

	"pdnsx/dnsextract"
)

// namesIndexes returns the names of the indexes on names.name.
func namesIndexes(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.conn.QueryContext(context.Background(), `SELECT il.name
		FROM pragma_index_list('names') AS il, pragma_index_info(il.name) AS ii
		WHERE ii.name = 'name' AND il."unique" ORDER BY il.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// oldNamesTable gives a new case the names table of the cases written
// before the unique index was deferred: names.name declared UNIQUE.
func oldNamesTable(t *testing.T, s *Store) {
	t.Helper()
	err := s.exec(`DROP TABLE names; CREATE TABLE names(
		id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, rname TEXT NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
}

// TestNamesIndex checks when the unique index on names.name exists: not
// while a new case is bulk loaded, always once the writer may look a name
// up in the case or the ingest is finished, and never twice.
func TestNamesIndex(t *testing.T) {
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	lookups := []*dnsextract.Lookup{roundTripCases[0].lookup(t0), roundTripCases[4].lookup(t0)}
	for _, tc := range []struct {
		name      string
		old       bool // the case declares names.name UNIQUE
		cached    int  // the writer's dictionary size, 0 for the default
		second    bool // a second writer adds the lookups again
		finish    bool
		wantLoad  string // indexes after the first writer's Flush
		wantAfter string // indexes at the end
	}{
		{name: "bulk load", wantLoad: "", wantAfter: ""},
		{name: "finished", finish: true, wantLoad: "", wantAfter: "names_name"},
		{name: "dictionary full", cached: 2, wantLoad: "names_name", wantAfter: "names_name"},
		{name: "second writer", second: true, wantLoad: "", wantAfter: "names_name"},
		{name: "old case", old: true, second: true, finish: true,
			wantLoad: "sqlite_autoindex_names_1", wantAfter: "sqlite_autoindex_names_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cached > 0 {
				defer func(n int) { maxCachedNames = n }(maxCachedNames)
				maxCachedNames = tc.cached
			}
			s := newCase(t)
			if tc.old {
				oldNamesTable(t, s)
			}
			w := startRoundTrip(t, s)
			if err := w.AddLookups(lookups); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(namesIndexes(t, s), " "); got != tc.wantLoad {
				t.Errorf("indexes on names.name during the load: %q, want %q", got, tc.wantLoad)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			stored := count(t, s, "names")

			if tc.second {
				w := startRoundTrip(t, s)
				if err := w.AddLookups(lookups); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.finish {
				if err := s.Finish(); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.Join(namesIndexes(t, s), " "); got != tc.wantAfter {
				t.Errorf("indexes on names.name at the end: %q, want %q", got, tc.wantAfter)
			}
			if n := count(t, s, "names"); n != stored {
				t.Errorf("%d names at the end, want the %d of the first writer", n, stored)
			}
			if tc.wantAfter != "" {
				_, err := s.conn.ExecContext(context.Background(),
					`INSERT INTO names(name, rname) SELECT name, rname FROM names LIMIT 1`)
				if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
					t.Errorf("a name stored twice: error %v, want a UNIQUE constraint failure", err)
				}
			}
		})
	}
}

// TestWriterSortsOnDisk checks that temporary storage is on disk while a
// writer is open (where it may build the names' index inside its
// transaction) and in memory again once it is closed.
func TestWriterSortsOnDisk(t *testing.T) {
	s := newCase(t)
	store := func() int {
		var v int
		err := s.conn.QueryRowContext(context.Background(), "PRAGMA temp_store").Scan(&v)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const file, memory = 1, 2
	w := startRoundTrip(t, s)
	if got := store(); got != file {
		t.Errorf("temp_store with a writer open = %d, want %d (FILE)", got, file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := store(); got != memory {
		t.Errorf("temp_store after the writer = %d, want %d (MEMORY)", got, memory)
	}
}

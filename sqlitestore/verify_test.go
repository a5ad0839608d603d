package sqlitestore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkedCase writes a case of two captures of 20 lookups each, closes it
// and returns its path.
func checkedCase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	s := mustOpen(t, path)
	writeCaptures(t, s, 2, 20)
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// damage runs SQL on the case at path through a plain connection, as a
// tool other than pdnsx would.
func damage(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open(driverName, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// checkCase opens the case at path read-only and runs Check.
func checkCase(t *testing.T, path string) []string {
	t.Helper()
	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	problems, err := s.Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return problems
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		damage []string
		want   []string // one substring per problem, in order
	}{
		{"sound case", nil, nil},
		{"capture deleted under its lookups",
			[]string{"DELETE FROM captures WHERE id = 1"},
			[]string{"20 lookups whose capture is not in captures",
				"20 lookups whose query capture is not in captures",
				"20 lookups whose response capture is not in captures"}},
		{"run deleted", []string{"DELETE FROM runs"},
			[]string{"2 captures whose run is not in runs"}},
		{"complete capture without SHA-256",
			[]string{"UPDATE captures SET sha256 = NULL WHERE id = 2"},
			[]string{"1 captures read to their end without a SHA-256"}},
		{"interrupted capture without SHA-256 is fine",
			[]string{"UPDATE captures SET sha256 = NULL, status = 'interrupted' WHERE id = 2"},
			nil},
		{"records of a deleted lookup",
			[]string{"DELETE FROM lookups WHERE id IN (1, 2)"},
			[]string{"6 records whose lookup is not in lookups"}},
		{"names deleted",
			[]string{"DELETE FROM names WHERE name = 'host3.example3.com.'"},
			[]string{"2 lookups whose query name is not in names",
				"2 records whose owner name is not in names"}},
		{"name stored twice",
			[]string{"DROP INDEX IF EXISTS names_name",
				`INSERT INTO names(name, rname) SELECT name, rname FROM names LIMIT 1`},
			[]string{"1 names stored more than once"}},
		{"malformed of an unknown capture",
			[]string{`INSERT INTO malformed(capture_id, frame, reason) VALUES (9, 1, 'x')`},
			[]string{"1 malformed payloads whose capture is not in captures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := checkedCase(t)
			damage(t, path, tt.damage...)
			got := checkCase(t, path)

			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d: %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d is %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestCheckIntegrity damages an index behind SQLite's back: its definition
// no longer matches its content, which is what a damaged index page looks
// like to PRAGMA integrity_check.
func TestCheckIntegrity(t *testing.T) {
	path := checkedCase(t)
	damage(t, path, "PRAGMA writable_schema = ON",
		`UPDATE sqlite_schema SET sql = 'CREATE INDEX lookups_qname ON lookups(txid)'
		 WHERE name = 'lookups_qname'`)
	got := checkCase(t, path)

	// SQLite words and counts its findings its own way.
	if len(got) == 0 {
		t.Fatal("Check found nothing wrong with a damaged index")
	}
	for _, p := range got {
		if !strings.HasPrefix(p, "integrity_check: ") || !strings.Contains(p, "lookups_qname") {
			t.Errorf("problem %q does not come from integrity_check about lookups_qname", p)
		}
	}
}

func TestCaptures(t *testing.T) {
	path := checkedCase(t)
	damage(t, path, `UPDATE captures SET status = 'truncated', error = 'cut', compression = 'gzip',
		first_time = '2026-12-03T16:21:13.123456789Z' WHERE id = 2`)
	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	got, err := s.Captures()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Captures returned %d rows, want 2", len(got))
	}
	for i, c := range got {
		byHash, ok, err := s.CaptureBySHA256(fmt.Sprintf("%064x", i))
		if err != nil || !ok {
			t.Fatalf("CaptureBySHA256(%d) = %v, %v", i, ok, err)
		}
		if !reflect.DeepEqual(c, byHash) {
			t.Errorf("Captures()[%d] = %+v, want %+v", i, c, byHash)
		}
	}
	if got[1].Status != "truncated" || got[1].Error != "cut" || !got[1].First.Equal(sampleTime) {
		t.Errorf("second capture = %+v, want truncated, cut, first %v", got[1], sampleTime)
	}
}

func TestCapturesEmptyCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	s := mustOpen(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Captures()
	if err != nil || len(got) != 0 {
		t.Errorf("Captures of an empty case = %v, %v; want none", got, err)
	}
	if problems, err := r.Check(); err != nil || len(problems) != 0 {
		t.Errorf("Check of an empty case = %q, %v; want none", problems, err)
	}
}

package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openSQL opens path with plain database/sql, as another program would.
func openSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	uri, err := fileURI(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(driverName, uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pragma reads an integer PRAGMA of the database at path.
func pragma(t *testing.T, path, name string) int64 {
	t.Helper()
	db := openSQL(t, path)
	var v int64
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return v
}

func TestOpenNewCase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(path string) error
	}{
		{"absent", func(string) error { return nil }},
		{"empty file", func(path string) error { return os.WriteFile(path, nil, 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "case.pdnsx")
			if err := tc.setup(path); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := pragma(t, path, "application_id"); got != ApplicationID {
				t.Errorf("application_id = %#x, want %#x", got, ApplicationID)
			}
			if got := pragma(t, path, "user_version"); got != SchemaVersion {
				t.Errorf("user_version = %d, want %d", got, SchemaVersion)
			}
			if got := pragma(t, path, "page_size"); got != pageSize {
				t.Errorf("page_size = %d, want %d", got, pageSize)
			}
		})
	}
}

func TestReopenCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	s := mustOpen(t, path)
	id, err := s.BeginRun(mustTime(t, "2026-12-03T16:00:00Z"), "test", "pdnsx ingest")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, open := range []struct {
		name string
		f    func(string) (*Store, error)
	}{{"Open", Open}, {"OpenReadOnly", OpenReadOnly}} {
		t.Run(open.name, func(t *testing.T) {
			s, err := open.f(path)
			if err != nil {
				t.Fatalf("%s: %v", open.name, err)
			}
			var n int64
			err = s.conn.QueryRowContext(context.Background(),
				"SELECT count(*) FROM runs WHERE id = ?", id).Scan(&n)
			if err != nil || n != 1 {
				t.Errorf("runs with id %d: %d, %v; want 1", id, n, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := pragma(t, path, "application_id"); got != ApplicationID {
				t.Errorf("application_id = %#x, want %#x", got, ApplicationID)
			}
			if got := pragma(t, path, "user_version"); got != SchemaVersion {
				t.Errorf("user_version = %d, want %d", got, SchemaVersion)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, path string)
		want    error
		message string
	}{
		{"text file", writeFile("case notes\n"), ErrNotCase, "not a SQLite database"},
		{"short SQLite magic", writeFile(sqliteMagic), ErrNotCase, "not a SQLite database"},
		{"SQLite of another application", otherApp, ErrNotCase, "application_id 0x00000000"},
		{"newer schema", newerCase, ErrNewerSchema,
			"case file schema 3 is newer than this pdnsx (1); upgrade pdnsx"},
	} {
		for _, open := range []struct {
			name string
			f    func(string) (*Store, error)
		}{{"Open", Open}, {"OpenReadOnly", OpenReadOnly}} {
			t.Run(tc.name+"/"+open.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "case.pdnsx")
				tc.setup(t, path)
				before, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}

				s, err := open.f(path)
				if err == nil {
					s.Close()
					t.Fatalf("%s succeeded, want %v", open.name, tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("error %q is not %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.message) || !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not say %q and the path", err, tc.message)
				}
				assertUnchanged(t, path, before)
			})
		}
	}
}

// assertUnchanged fails unless the directory of path holds only path, with
// the bytes it had before.
func assertUnchanged(t *testing.T, path string, before []byte) {
	t.Helper()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("file changed: %d bytes before, %d after", len(before), len(after))
	}
	assertAlone(t, path)
}

// assertAlone fails unless path is the only file in its directory.
func assertAlone(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != filepath.Base(path) {
		t.Errorf("directory holds %q, want only %q", names, filepath.Base(path))
	}
}

// writeFile returns a setup that writes content to the path.
func writeFile(content string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// otherApp creates a SQLite database with a table and no application_id.
func otherApp(t *testing.T, path string) {
	db := openSQL(t, path)
	_, err := db.Exec("CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES ('x')")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// newerCase creates a case and stamps it with user_version 3.
func newerCase(t *testing.T, path string) {
	mustOpen(t, path).Close()
	db := openSQL(t, path)
	if _, err := db.Exec("PRAGMA user_version = 3"); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestOpenReadOnlyRefusesEmpty(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
	}{
		{"absent", func(*testing.T, string) {}, os.ErrNotExist},
		{"empty", writeFile(""), ErrNotCase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "case.pdnsx")
			tc.setup(t, path)
			s, err := OpenReadOnly(path)
			if err == nil {
				s.Close()
				t.Fatal("OpenReadOnly succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %v", err, tc.want)
			}
		})
	}
}

func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	mustOpen(t, path).Close()
	s := mustOpen(t, path) // an existing case: the store has written nothing
	defer s.Close()

	defer func(ms int) { busyTimeoutMS = ms }(busyTimeoutMS)
	busyTimeoutMS = 50
	for _, open := range []struct {
		name string
		f    func(string) (*Store, error)
	}{{"Open", Open}, {"OpenReadOnly", OpenReadOnly}} {
		t.Run(open.name, func(t *testing.T) {
			other, err := open.f(path)
			if err == nil {
				other.Close()
			}
			if !errors.Is(err, ErrInUse) {
				t.Errorf("%s while a store holds the case: %v, want %v", open.name, err, ErrInUse)
			}
		})
	}
}

func TestCloseLeavesOnlyTheCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	s := mustOpen(t, path)
	w := writeCaptures(t, s, 2, 10)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAlone(t, path)

	r, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	assertAlone(t, path)
}

func TestFileURI(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a?b.pdnsx", "c#d%41.pdnsx", "sp ace é.pdnsx"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			s := mustOpen(t, path)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := pragma(t, path, "application_id"); got != ApplicationID {
				t.Errorf("application_id of %q = %#x, want %#x", path, got, ApplicationID)
			}
		})
	}
}

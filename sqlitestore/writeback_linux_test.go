package sqlitestore

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteback checks that a store opened for writing sets up its early
// writeback, that a read-only one does not, and that Close gives the file
// back: no descriptor stays open.
func TestWriteback(t *testing.T) {
	openFiles := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("cannot count open files: %v", err)
		}
		return len(fds)
	}
	path := filepath.Join(t.TempDir(), "case.pdnsx")
	before := openFiles()

	s := mustOpen(t, path)
	if s.wb == nil {
		t.Fatal("a store opened for writing has no writeback")
	}
	if err := s.exec("CREATE TABLE t(v); INSERT INTO t VALUES (randomblob(100000))"); err != nil {
		t.Fatal(err)
	}
	s.wb.start()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.wb != nil {
		t.Error("a read-only store has a writeback")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after := openFiles(); after != before {
		t.Errorf("%d files open after Close, %d before Open", after, before)
	}
}

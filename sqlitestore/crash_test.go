package sqlitestore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashEnv names the case file a re-executed test binary writes to until
// it is killed.
const crashEnv = "SQLITESTORE_CRASH_CASE"

// crashLookups is the number of lookups per capture in the crash test:
// enough (four rows each) that the writer also commits within a capture.
const crashLookups = 15000

// TestCrashConsistency kills a process that is writing a case with
// SIGKILL, then checks that the case opens, passes integrity_check and
// holds every capture whose FinishCapture had returned.
func TestCrashConsistency(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}

	path := filepath.Join(t.TempDir(), "case.pdnsx")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashConsistency$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	finished := killAfter(t, cmd, bufio.NewScanner(out), 3)
	checkReadOnly(t, path)

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	checkIntegrity(t, s)
	checkFinished(t, s, finished)
	marked, err := s.MarkInterrupted()
	if want := count(t, s, "captures") - int64(len(finished)); err != nil || marked != want {
		t.Errorf("MarkInterrupted = %d, %v; want the %d unfinished captures", marked, err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAlone(t, path)
}

// killAfter reads the captures the child reports finished until there
// are n, lets it write a little more, kills it and returns the captures
// it reported.
func killAfter(t *testing.T, cmd *exec.Cmd, lines *bufio.Scanner, n int) []int {
	t.Helper()
	var finished []int
	for len(finished) < n && lines.Scan() {
		index, err := strconv.Atoi(strings.TrimPrefix(lines.Text(), "finished "))
		if err != nil {
			t.Fatalf("child said %q", lines.Text())
		}
		finished = append(finished, index)
	}
	if len(finished) < n {
		cmd.Wait()
		t.Fatalf("child stopped after finishing %v", finished)
	}

	time.Sleep(40 * time.Millisecond) // into the next capture, mid-transaction
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() { // reported between the sleep and the kill
		index, err := strconv.Atoi(strings.TrimPrefix(lines.Text(), "finished "))
		if err == nil {
			finished = append(finished, index)
		}
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
		t.Fatalf("child was not killed: %v", err)
	}
	return finished
}

// checkReadOnly checks that a killed case opens read-only, or is refused
// with ErrUnfinished when the kill left a hot journal.
func checkReadOnly(t *testing.T, path string) {
	t.Helper()
	_, err := os.Stat(path + "-journal")
	hot := err == nil
	r, err := OpenReadOnly(path)
	switch {
	case err == nil:
		checkIntegrity(t, r)
		r.Close()
	case !hot || !errors.Is(err, ErrUnfinished):
		t.Errorf("OpenReadOnly after the kill (hot journal %v): %v", hot, err)
	}
	t.Logf("hot journal after the kill: %v; OpenReadOnly: %v", hot, err)
}

// crashChild writes captures to the case at path until it is killed.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	run, err := s.BeginRun(sampleTime, "test", "crash")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for c := range 1000 {
		if err := writeCapture(w, c, crashLookups, 1000); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("finished %d\n", c)
	}
	os.Exit(3) // never reached when the parent kills it in time
}

// checkIntegrity runs PRAGMA integrity_check.
func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	var result string
	err := s.conn.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&result)
	if err != nil || result != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", result, err)
	}
}

// checkFinished checks that every finished capture is complete with all
// its lookups and records.
func checkFinished(t *testing.T, s *Store, finished []int) {
	t.Helper()
	for _, c := range finished {
		got := rowMap(t, s, `SELECT c.status, c.frames,
			(SELECT count(*) FROM lookups WHERE capture_id = c.id) AS lookups,
			(SELECT count(*) FROM records r JOIN lookups l ON l.id = r.lookup_id
				WHERE l.capture_id = c.id) AS records
			FROM captures c WHERE c.path = ?`, fmt.Sprintf("dmz-%04d.pcap", c))
		want := map[string]string{"status": "complete", "frames": fmt.Sprint(2 * crashLookups),
			"lookups": fmt.Sprint(crashLookups), "records": fmt.Sprint(3 * crashLookups)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("capture %d after the kill: %v, want %v", c, got, want)
		}
	}
	t.Logf("%d captures finished before the kill; in the case: %d captures, %d lookups",
		len(finished), count(t, s, "captures"), count(t, s, "lookups"))
}

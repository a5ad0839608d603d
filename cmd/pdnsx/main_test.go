package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// binary builds pdnsx once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pdnsx-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pdnsx")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// pdnsx runs the built binary and returns its stdout, stderr and exit status.
func pdnsx(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("building pdnsx: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("running pdnsx: %v", err)
	}
	return out.String(), errOut.String(), 0
}

func captures(names ...string) []string {
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join("..", "..", "testdata", "captures", n)
	}
	return paths
}

// query runs one SQL query returning a single value.
func query[T any](t *testing.T, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func openCase(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no command", nil, exitUsage, "Usage: pdnsx COMMAND"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"ingest without input", []string{"ingest"}, exitUsage, "no input given"},
		{"bad flag", []string{"ingest", "-x", "a.pcap"}, exitUsage, "flag provided but not defined"},
		{"bad port", []string{"ingest", "--ports", "70000", "a.pcap"}, exitUsage, "not a port"},
		{"bad jobs", []string{"ingest", "-j", "0", "a.pcap"}, exitUsage, "at least one job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, status := pdnsx(t, tt.args...)
			if status != tt.status {
				t.Errorf("exit status %d, want %d", status, tt.status)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestIngestEndToEnd(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	args := append([]string{"ingest", "-o", casePath, "-j", "2"},
		captures("pcap-us-le.pcap", "nxdomain.pcap", "unanswered.pcap", "mdns.pcap",
			"vlan.pcap")...)
	_, stderr, status := pdnsx(t, args...)
	if status != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", status, stderr)
	}
	for _, want := range []string{"5 files (0 with errors, 0 already in the case)", "case file " + casePath} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary %q lacks %q", stderr, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(casePath))
	if len(entries) != 1 {
		t.Errorf("files beside the case after ingest: %v", entries)
	}

	db := openCase(t, casePath)
	checks := []struct {
		q    string
		want int64
	}{
		{"SELECT count(*) FROM captures WHERE status = 'complete'", 5},
		{"SELECT count(*) FROM captures WHERE length(sha256) = 64", 5},
		{"SELECT count(*) FROM runs WHERE outcome = 'ok'", 1},
		{"SELECT count(*) FROM lookups WHERE kind = 'unanswered'", 1},
		{"SELECT count(*) FROM lookups WHERE rcode = 'NXDOMAIN'", 1},
		{"SELECT count(*) FROM lookups WHERE kind = 'unpaired'", 4},
		{"SELECT count(*) FROM lookups WHERE path = 'eth/vlan:101/ipv4/udp'", 2},
		{"PRAGMA application_id", 0x70646e73},
		{"PRAGMA user_version", 1},
	}
	for _, c := range checks {
		if got := query[int64](t, db, c.q); got != c.want {
			t.Errorf("%s = %d, want %d", c.q, got, c.want)
		}
	}
}

// TestIngestSameAtAnyParallelism checks that -j 1 and -j 4 give the same rows.
func TestIngestSameAtAnyParallelism(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "captures")
	dump := func(jobs string) string {
		casePath := filepath.Join(t.TempDir(), "case.sqlite")
		pdnsx(t, "ingest", "--quiet", "-j", jobs, "-o", casePath, dir)
		db := openCase(t, casePath)
		rows, err := db.Query(`SELECT c.sha256, l.query_frame, l.response_frame, l.kind,
			l.client, l.server, l.rcode, l.query_time,
			(SELECT group_concat(r.section || ' ' || r.type || ' ' || r.ttl || ' ' || r.data, '|')
			   FROM records r WHERE r.lookup_id = l.id)
			FROM lookups l JOIN captures c ON c.id = l.capture_id
			ORDER BY 1, 2, 3, 4, 5, 6`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var cols [9]sql.NullString
			ptrs := make([]any, len(cols))
			for i := range cols {
				ptrs[i] = &cols[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, c := range cols {
				b.WriteString(c.String + "\t")
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	one, four := dump("1"), dump("4")
	if one == "" {
		t.Fatal("no lookups ingested")
	}
	if one != four {
		t.Errorf("-j 1 and -j 4 differ:\n-j 1:\n%s\n-j 4:\n%s", one, four)
	}
}

// TestCaseOpensInSqlite3Shell checks the case with the stock sqlite3 shell.
func TestCaseOpensInSqlite3Shell(t *testing.T) {
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 shell not installed (apt-get install sqlite3)")
	}
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	if _, stderr, status := pdnsx(t, append([]string{"ingest", "-o", casePath},
		captures("pcap-us-le.pcap")...)...); status != exitOK {
		t.Fatalf("ingest: %s", stderr)
	}
	out, err := exec.Command(shell, casePath,
		"PRAGMA integrity_check; SELECT count(*) FROM lookup_view;").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != "ok" || got[1] == "0" {
		t.Errorf("sqlite3 said %q, want ok and a non-zero count", out)
	}
}

// TestIngestCountsOnce checks idempotence: the same capture, again or under
// another name or twice in one run, is counted once; --force replaces it.
func TestIngestCountsOnce(t *testing.T) {
	dir := t.TempDir()
	casePath := filepath.Join(dir, "case.sqlite")
	original := captures("all-types.pcap")[0]
	data, err := os.ReadFile(original)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "renamed.pcap")
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		t.Fatal(err)
	}
	counts := func() (captures, lookups, records int64) {
		db := openCase(t, casePath)
		defer db.Close()
		return query[int64](t, db, "SELECT count(*) FROM captures"),
			query[int64](t, db, "SELECT count(*) FROM lookups"),
			query[int64](t, db, "SELECT count(*) FROM records")
	}

	steps := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"first", []string{original}, "1 files (0 with errors, 0 already in the case)"},
		{"again", []string{original}, "already in the case as capture 1"},
		{"renamed", []string{copied}, "already in the case as capture 1"},
		{"force", []string{"--force", copied}, "0 already in the case"},
	}
	var want [3]int64
	for i, st := range steps {
		args := append([]string{"ingest", "--quiet", "-o", casePath}, st.args...)
		_, stderr, status := pdnsx(t, args...)
		if status != exitOK {
			t.Fatalf("%s: exit status %d\n%s", st.name, status, stderr)
		}
		if !strings.Contains(stderr, st.stderr) {
			t.Errorf("%s: stderr %q lacks %q", st.name, stderr, st.stderr)
		}
		c, l, r := counts()
		if i == 0 {
			want = [3]int64{c, l, r}
			if l == 0 || r == 0 {
				t.Fatalf("first ingest stored %d lookups, %d records", l, r)
			}
			continue
		}
		if got := [3]int64{c, l, r}; got != want {
			t.Errorf("%s: captures, lookups, records = %v, want %v", st.name, got, want)
		}
	}
	db := openCase(t, casePath)
	if got := query[string](t, db, "SELECT path FROM captures"); got != copied {
		t.Errorf("after --force the capture is %q, want %q", got, copied)
	}

	// The same file twice in one run, into a fresh case.
	fresh := filepath.Join(dir, "fresh.sqlite")
	_, stderr, _ := pdnsx(t, "ingest", "--quiet", "-o", fresh, original, copied)
	if !strings.Contains(stderr, "counted once") {
		t.Errorf("same file twice in a run: stderr %q lacks %q", stderr, "counted once")
	}
	db = openCase(t, fresh)
	if got := query[int64](t, db, "SELECT count(*) FROM lookups"); got != want[1] {
		t.Errorf("same file twice in a run: %d lookups, want %d", got, want[1])
	}
}

// TestDemoMatchesTruth ingests the README's demonstration capture and checks
// the case against what the generator wrote into it.
func TestDemoMatchesTruth(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo.pcap")
	raw, err := os.ReadFile(demo + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Messages, Answered, Unanswered, Unsolicited, Records, Malformed int64
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	casePath := filepath.Join(t.TempDir(), "demo.sqlite")
	if _, stderr, status := pdnsx(t, "ingest", "-o", casePath, demo); status != exitOK {
		t.Fatalf("exit status %d\n%s", status, stderr)
	}
	db := openCase(t, casePath)
	checks := []struct {
		q    string
		want int64
	}{
		{"SELECT dns_messages FROM captures", truth.Messages},
		{"SELECT count(*) FROM lookups WHERE kind = 'answered'", truth.Answered},
		{"SELECT count(*) FROM lookups WHERE kind = 'unanswered'", truth.Unanswered},
		{"SELECT count(*) FROM lookups WHERE kind = 'unsolicited'", truth.Unsolicited},
		{"SELECT count(*) FROM records", truth.Records},
		{"SELECT count(*) FROM malformed", truth.Malformed},
	}
	for _, c := range checks {
		if got := query[int64](t, db, c.q); got != c.want {
			t.Errorf("%s = %d, want %d", c.q, got, c.want)
		}
	}
}

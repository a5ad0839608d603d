package main

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pdnsx/internal/capgen"
)

// interruptPairs is the number of lookups of the large capture: enough
// that an ingest runs for a few seconds on a loaded machine, few enough
// that the test ends within a minute.
const interruptPairs = 100_000

// smallCaptures are ingested beside the large one; with two jobs they are
// read while it is, and finish before it.
var smallCaptures = []string{"pcap-us-le.pcap", "nxdomain.pcap", "malformed-dns.pcap"}

// TestInterruptedIngest starts an ingest of a large generated capture,
// stops it with SIGINT or SIGKILL at several points, and checks that the
// case stays sound, that no capture is complete unless it is, and that
// running the same ingest again gives what an uninterrupted run gives.
func TestInterruptedIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a large capture and runs several ingests")
	}
	big := filepath.Join(t.TempDir(), "resolver.pcap")
	writeResolverCapture(t, big)
	inputs := append([]string{big}, captures(smallCaptures...)...)

	reference := filepath.Join(t.TempDir(), "reference.sqlite")
	start := time.Now()
	if _, stderr, status := pdnsx(t, ingestArgs(reference, inputs)...); status != exitOK {
		t.Fatalf("uninterrupted ingest: exit status %d\n%s", status, stderr)
	}
	took := time.Since(start)
	want := dumpCase(t, reference)

	// The stops fall at fractions of the uninterrupted run's time, so that
	// they land while captures are read however fast the machine is; a
	// SIGINT that came once they are all read would find nothing to stop.
	tests := []struct {
		name    string
		signals []syscall.Signal
		at      float64 // of the uninterrupted run's time
	}{
		{"SIGINT early", []syscall.Signal{syscall.SIGINT}, 0.1},
		{"SIGINT later", []syscall.Signal{syscall.SIGINT}, 0.25},
		{"SIGINT twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, 0.2},
		{"SIGKILL early", []syscall.Signal{syscall.SIGKILL}, 0.1},
		{"SIGKILL midway", []syscall.Signal{syscall.SIGKILL}, 0.35},
		{"SIGKILL late", []syscall.Signal{syscall.SIGKILL}, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			casePath := filepath.Join(t.TempDir(), "case.sqlite")
			args := ingestArgs(casePath, inputs)
			after := time.Duration(tt.at * float64(took))
			stopped := interrupt(t, args, after, tt.signals)

			checkVerifyAfterStop(t, casePath)
			clean := stopped && len(tt.signals) == 1 && tt.signals[0] == syscall.SIGINT
			checkStoppedCase(t, casePath, want, clean)

			_, stderr, status := pdnsx(t, args...)
			if status != exitOK {
				t.Fatalf("ingest after the stop: exit status %d\n%s", status, stderr)
			}
			compareDumps(t, dumpCase(t, casePath), want)
			checkRuns(t, casePath)
		})
	}
}

// ingestArgs are the arguments of the ingest the test runs, stops and runs
// again.
func ingestArgs(casePath string, inputs []string) []string {
	return append([]string{"ingest", "--quiet", "-j", "2", "-o", casePath}, inputs...)
}

// writeResolverCapture writes the generator's resolver benchmark capture.
func writeResolverCapture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = capgen.WriteResolverBench(f, capgen.BenchOptions{Seed: 1, Pairs: interruptPairs})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// interrupt runs pdnsx with args, sends it the signals (50 ms apart) after
// the given time and waits for it to end. It reports whether a signal
// reached the process before it ended by itself.
func interrupt(t *testing.T, args []string, after time.Duration,
	signals []syscall.Signal) bool {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("building pdnsx: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	select {
	case err := <-exited:
		t.Logf("ingest ended by itself before %v (%v): nothing to interrupt", after, err)
		return false
	case <-time.After(after):
	}
	for i, sig := range signals {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); errors.Is(err, os.ErrProcessDone) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	sent := time.Now()

	var werr error
	select {
	case werr = <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("pdnsx still running 20s after %v\nstderr:\n%s", signals, stderr.String())
	}
	t.Logf("stopped after %v by %v; exited %v later: %v", after, signals,
		time.Since(sent).Round(time.Millisecond), werr)
	checkStopMessages(t, signals, werr, stderr.String())
	return true
}

// checkStopMessages checks the exit status and what pdnsx said when stopped.
func checkStopMessages(t *testing.T, signals []syscall.Signal, werr error, stderr string) {
	t.Helper()
	if signals[0] == syscall.SIGKILL {
		return // nothing to say, nothing said
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != exitPartial {
		t.Errorf("interrupted ingest ended with %v, want exit status %d", werr, exitPartial)
	}
	want := []string{"pdnsx: interrupted: saving what was read so far"}
	if len(signals) == 1 {
		want = append(want, "interrupted: run the same ingest again to complete the case")
	} else {
		want = append(want, "pdnsx: quit; the case file keeps every capture finished")
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

// checkVerifyAfterStop runs pdnsx verify on the stopped case before any
// writer opens it: it finds the case sound, or (after SIGKILL in the middle
// of a transaction) says that a transaction was left unfinished.
func checkVerifyAfterStop(t *testing.T, casePath string) {
	t.Helper()
	stdout, stderr, status := pdnsx(t, "verify", "-case", casePath)
	switch {
	case status == exitOK && strings.Contains(stderr, "case sound"):
	case status == exitPartial && strings.Contains(stderr, "left unfinished") &&
		strings.Contains(stderr, "run the interrupted ingest again"):
	case status == exitPartial && strings.Contains(stderr, "no schema yet"):
		// Killed before the schema was committed.
	default:
		t.Errorf("verify after the stop: exit status %d\nstdout:\n%sstderr:\n%s",
			status, stdout, stderr)
	}
}

// checkStoppedCase opens the stopped case for writing, as the next ingest
// will (which rolls back a transaction a killed process left), and checks
// that it is sound and that every capture marked complete holds exactly
// what an uninterrupted run stores for it. After a clean stop (one SIGINT)
// no capture or run is left marked as in progress.
func checkStoppedCase(t *testing.T, casePath string, want caseDump, clean bool) {
	t.Helper()
	if _, err := os.Stat(casePath); err != nil {
		t.Logf("no case after the stop: %v", err)
		return
	}
	db, err := sql.Open("sqlite3", "file:"+casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check after the stop = %q, %v", ok, err)
	}
	var tables int
	db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'captures'").Scan(&tables)
	if tables == 0 {
		return // killed before the schema was made
	}
	db.Close()

	got := dumpCase(t, casePath)
	complete, rows := 0, 0
	for sum, cs := range got.captures {
		rows += len(cs)
		if !strings.Contains(strings.Join(cs, "\n"), "\tcomplete\t") {
			continue
		}
		complete++
		compareRows(t, "complete capture "+sum[:12], cs, want.captures[sum])
		compareRows(t, "lookups of complete capture "+sum[:12], got.lookups[sum],
			want.lookups[sum])
		compareRows(t, "malformed of complete capture "+sum[:12], got.malformed[sum],
			want.malformed[sum])
	}
	if clean {
		checkCleanStop(t, casePath)
	}
	t.Logf("after the stop: %d of %d captures complete, %d captures rows", complete,
		len(want.captures), rows)
}

// checkCleanStop checks that a cleanly stopped ingest marked what it did
// not finish as interrupted.
func checkCleanStop(t *testing.T, casePath string) {
	t.Helper()
	db := openCase(t, casePath)
	n := query[int64](t, db, "SELECT count(*) FROM captures WHERE status = 'ingesting'")
	if n != 0 {
		t.Errorf("%d captures left 'ingesting' by a clean stop, want 'interrupted'", n)
	}
	outcome := query[string](t, db, "SELECT outcome FROM runs ORDER BY id DESC LIMIT 1")
	if outcome != "interrupted" {
		t.Errorf("run stopped by SIGINT has outcome %q, want interrupted", outcome)
	}
}

// checkRuns checks that no run is left "running" and the last one is "ok".
func checkRuns(t *testing.T, casePath string) {
	t.Helper()
	db := openCase(t, casePath)
	if n := query[int64](t, db, "SELECT count(*) FROM runs WHERE outcome = 'running'"); n != 0 {
		t.Errorf("%d runs still 'running' after a complete ingest", n)
	}
	last := query[string](t, db, "SELECT outcome FROM runs ORDER BY id DESC LIMIT 1")
	if last != "ok" {
		t.Errorf("last run's outcome %q, want ok", last)
	}
}

// caseDump is a case's content without its row ids, by capture SHA-256.
type caseDump struct {
	captures  map[string][]string // the captures rows
	lookups   map[string][]string // lookups with their records, by frame
	malformed map[string][]string // malformed payloads, by frame
}

// dumpCase reads a case's captures, lookups, records and malformed rows.
func dumpCase(t *testing.T, casePath string) caseDump {
	t.Helper()
	db := openCase(t, casePath)
	return caseDump{
		captures: dumpRows(t, db, `SELECT sha256, path, size, format, compression,
			link_types, first_time, last_time, frames, dns_messages, malformed, skipped,
			status, error
			FROM captures ORDER BY sha256, id`),
		lookups: dumpLookups(t, db),
		malformed: dumpRows(t, db, `SELECT c.sha256, m.frame, m.frames, m.time, m.transport,
			m.path, m.src, m.src_port, m.dst, m.dst_port, m.reason, hex(m.payload)
			FROM malformed m JOIN captures c ON c.id = m.capture_id
			ORDER BY c.sha256, m.frame, m.reason`),
	}
}

// lookupDump selects every lookup, ordered by capture and frame; the first
// column is the capture's SHA-256, the last the lookup's id (for its records).
const lookupDump = `SELECT c.sha256, l.kind, l.transport, l.path,
	l.client, l.client_port, l.server, l.server_port, l.txid, n.name, l.qtype, l.qclass,
	l.opcode, l.rcode, l.query_time, l.response_time, l.rtt_us, l.query_flags,
	l.response_flags, l.an_count, l.ns_count, l.ar_count, l.edns_udp_size, l.edns_do,
	l.edns_client_subnet, l.query_size, l.response_size,
	l.query_frame, l.query_frames, l.response_frame, l.response_frames, l.id
FROM lookups l JOIN captures c ON c.id = l.capture_id LEFT JOIN names n ON n.id = l.qname_id
ORDER BY c.sha256, coalesce(l.query_frame, l.response_frame), l.response_frame, l.txid`

// recordDump selects every record, by lookup id and in stored order. A case
// whose ingest was stopped before Finish has no index on records.lookup_id,
// so the records are gathered in one pass rather than per lookup.
const recordDump = `SELECT r.lookup_id, r.section, n.name, r.type, r.class, r.ttl, r.data
FROM records r JOIN names n ON n.id = r.name_id ORDER BY r.lookup_id, r.ord`

// dumpLookups renders every lookup followed by its records, by capture.
func dumpLookups(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	records := make(map[string]string)
	for id, rows := range dumpRows(t, db, recordDump) {
		records[id] = strings.Join(rows, " | ")
	}
	byCapture := dumpRows(t, db, lookupDump)
	for _, rows := range byCapture {
		for i, row := range rows {
			cut := strings.LastIndexByte(row[:len(row)-1], '\t')
			id := row[cut+1 : len(row)-1]
			rows[i] = row[:cut+1] + records[id]
		}
	}
	return byCapture
}

// dumpRows runs q and groups its rows, rendered as tab-separated text, by
// the first column.
func dumpRows(t *testing.T, db *sql.DB, q string) map[string][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	values := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}

	groups := make(map[string][]string)
	var line strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		line.Reset()
		for _, v := range values[1:] {
			if v.Valid {
				line.WriteString(v.String)
			} else {
				line.WriteString("NULL")
			}
			line.WriteByte('\t')
		}
		key := values[0].String
		groups[key] = append(groups[key], line.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return groups
}

// compareDumps compares a whole case with the uninterrupted one.
func compareDumps(t *testing.T, got, want caseDump) {
	t.Helper()
	if len(got.captures) != len(want.captures) {
		t.Errorf("%d captures, want %d", len(got.captures), len(want.captures))
	}
	for sum, w := range want.captures {
		compareRows(t, "captures rows of "+sum[:12], got.captures[sum], w)
		compareRows(t, "lookups of capture "+sum[:12], got.lookups[sum], want.lookups[sum])
		compareRows(t, "malformed of capture "+sum[:12], got.malformed[sum],
			want.malformed[sum])
	}
}

// compareRows reports the first difference between two lists of rows.
func compareRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s: row %d differs:\n got %s\nwant %s", what, i+1, got[i], want[i])
			return
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	}
}

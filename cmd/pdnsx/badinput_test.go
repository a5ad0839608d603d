package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pdnsx/internal/capgen"
)

// goodCapture is ingested beside every bad input: it must come out whole.
const goodCapture = "pcap-us-le.pcap"

// truthOf returns what the generator wrote into a scenario's capture.
func truthOf(t *testing.T, scenario string) capgen.Truth {
	t.Helper()
	sc, ok := capgen.Lookup(scenario)
	if !ok {
		t.Fatalf("no capgen scenario %q", scenario)
	}
	truth, err := sc.Write(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return truth
}

// caseCapture is what a test reads back of a captures row.
type caseCapture struct {
	id                      int64
	status, errText         string
	frames, messages        int64
	answered, unanswered    int64
	unsolicited, records    int64
	framesInLookups, maxRef int64 // distinct frames of its lookups, and the highest
}

// readCapture reads the captures row whose path ends in name and counts
// what the case holds of it.
func readCapture(t *testing.T, db *sql.DB, name string) (caseCapture, bool) {
	t.Helper()
	var c caseCapture
	err := db.QueryRow(`SELECT id, status, coalesce(error, ''), frames, dns_messages
		FROM captures WHERE path LIKE ?`, "%"+name).Scan(&c.id, &c.status, &c.errText,
		&c.frames, &c.messages)
	if err == sql.ErrNoRows {
		return c, false
	}
	if err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(`SELECT
			count(*) FILTER (WHERE kind = 'answered'),
			count(*) FILTER (WHERE kind = 'unanswered'),
			count(*) FILTER (WHERE kind = 'unsolicited'),
			coalesce((SELECT count(*) FROM records r JOIN lookups l ON l.id = r.lookup_id
				WHERE l.capture_id = ?1), 0)
		FROM lookups WHERE capture_id = ?1`, c.id).
		Scan(&c.answered, &c.unanswered, &c.unsolicited, &c.records)
	if err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(`SELECT count(DISTINCT f), coalesce(max(f), 0) FROM (
			SELECT query_frame AS f FROM lookups WHERE query_capture_id = ?1
			UNION ALL
			SELECT response_frame FROM lookups WHERE response_capture_id = ?1)
		WHERE f IS NOT NULL`, c.id).Scan(&c.framesInLookups, &c.maxRef)
	if err != nil {
		t.Fatal(err)
	}
	return c, true
}

// checkTruth compares what the case holds of a capture with its truth.
func checkTruth(t *testing.T, name string, got caseCapture, want capgen.Truth) {
	t.Helper()
	checks := []struct {
		what      string
		got, want int64
	}{
		{"frames", got.frames, int64(want.Frames)},
		{"DNS messages", got.messages, int64(want.Messages)},
		{"answered lookups", got.answered, int64(want.Answered)},
		{"unanswered lookups", got.unanswered, int64(want.Unanswered)},
		{"unsolicited lookups", got.unsolicited, int64(want.Unsolicited)},
		{"records", got.records, int64(want.Records)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %s = %d, want %d", name, c.what, c.got, c.want)
		}
	}
	if got.status != want.Status {
		t.Errorf("%s: status %q, want %q", name, got.status, want.Status)
	}
}

// ingestBad ingests the inputs followed by the good capture into a new case
// and returns stderr, the exit status and the case.
func ingestBad(t *testing.T, inputs ...string) (string, int, *sql.DB) {
	t.Helper()
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	args := append([]string{"ingest", "--quiet", "-j", "2", "-o", casePath}, inputs...)
	args = append(args, captures(goodCapture)...)
	_, stderr, status := pdnsx(t, args...)
	return stderr, status, openCase(t, casePath)
}

// checkGood checks that the good capture was read whole.
func checkGood(t *testing.T, db *sql.DB) {
	t.Helper()
	got, ok := readCapture(t, db, goodCapture)
	if !ok {
		t.Fatalf("%s is not in the case", goodCapture)
	}
	checkTruth(t, goodCapture, got, truthOf(t, "pcap-us-le"))
}

// TestDamagedCaptures ingests each damaged capture of testdata/captures
// with a good one: the frames before the damage are kept, the damage is
// reported with the file, frame and offset, and the good capture is whole.
func TestDamagedCaptures(t *testing.T) {
	tests := []struct {
		scenario, file string
		detail         string // in the warning and the captures row's error
	}{
		{"truncated", "truncated.pcap", "record needs 91 bytes, 30 left: capture cut short"},
		{"absurd-caplen", "absurd-caplen.pcap", "record claims 2147483647 bytes"},
		{"pcapng-bad-block-length", "pcapng-bad-block-length.pcapng",
			"enhanced packet block has bad length 6: corrupt record"},
		{"gzip-cut-short", "gzip-cut-short.pcap.gz", "gzip stream cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			truth := truthOf(t, tt.scenario)
			path := captures(tt.file)[0]
			stderr, status, db := ingestBad(t, path)

			if status != exitPartial {
				t.Errorf("exit status %d, want %d", status, exitPartial)
			}
			// The damage is in the frame after the last one read.
			where := regexp.QuoteMeta(path) +
				fmt.Sprintf(`: frame %d \(offset 0x[0-9a-f]+\): `, truth.Frames+1)
			warning := regexp.MustCompile(`pdnsx: warning: pcapread: ` + where +
				regexp.QuoteMeta(tt.detail))
			if !warning.MatchString(stderr) {
				t.Errorf("stderr lacks a warning matching %q:\n%s", warning, stderr)
			}

			got, ok := readCapture(t, db, tt.file)
			if !ok {
				t.Fatalf("%s has no captures row", tt.file)
			}
			if !regexp.MustCompile(where).MatchString(got.errText) ||
				!strings.Contains(got.errText, tt.detail) {
				t.Errorf("captures.error = %q, want the frame, offset and %q", got.errText,
					tt.detail)
			}
			checkTruth(t, tt.file, got, truth)
			if got.framesInLookups != int64(truth.Frames) || got.maxRef != int64(truth.Frames) {
				t.Errorf("lookups refer to %d frames up to frame %d; want each of frames 1-%d",
					got.framesInLookups, got.maxRef, truth.Frames)
			}
			checkGood(t, db)
		})
	}
}

// TestBadInputs covers inputs that yield no frames at all.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	notes := filepath.Join(dir, "notes")
	for _, d := range []string{empty, notes} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, captures("not-a-capture.txt")[0], filepath.Join(notes, "readme.txt"))

	tests := []struct {
		name    string
		input   string
		warning string // in stderr
		row     string // the file with a failed captures row, or ""
		err     string // in that row's error
	}{
		{"missing file", filepath.Join(dir, "gone.pcap"),
			filepath.Join(dir, "gone.pcap") + ": no such file or directory", "", ""},
		{"directory without files", empty, empty + ": directory holds no files", "", ""},
		{"directory without captures", notes,
			filepath.Join(notes, "readme.txt") + ": offset 0x0: unknown magic number",
			"readme.txt", "offset 0x0: unknown magic number 54 68 69 73 (looks like text): " +
				"not a pcap or pcapng capture"},
		{"not a capture", captures("not-a-capture.txt")[0],
			"not-a-capture.txt: offset 0x0: unknown magic number",
			"not-a-capture.txt", "not a pcap or pcapng capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr, status, db := ingestBad(t, tt.input)

			if status != exitPartial {
				t.Errorf("exit status %d, want %d", status, exitPartial)
			}
			if !strings.Contains(stderr, "pdnsx: warning: ") ||
				!strings.Contains(stderr, tt.warning) {
				t.Errorf("stderr lacks a warning with %q:\n%s", tt.warning, stderr)
			}
			if !strings.Contains(stderr, "2 files (1 with errors") {
				t.Errorf("summary does not count the bad input as an error:\n%s", stderr)
			}
			if tt.row != "" {
				got, ok := readCapture(t, db, tt.row)
				if !ok || got.status != statusFailed || !strings.Contains(got.errText, tt.err) {
					t.Errorf("captures row of %s: %+v (present %v); want failed with %q",
						tt.row, got, ok, tt.err)
				}
			}
			if n := query[int64](t, db, "SELECT count(*) FROM captures"); tt.row == "" && n != 1 {
				t.Errorf("%d captures rows, want only the good capture's", n)
			}
			checkGood(t, db)
		})
	}
}

// TestRefusesForeignCaseFile checks that ingest and verify refuse an output
// that is not a pdnsx case, or a case of a newer schema, and leave it as
// it was.
func TestRefusesForeignCaseFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"text file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("incident notes\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "not a pdnsx case file (not a SQLite database)"},
		{"another application's database", func(t *testing.T, path string) {
			alterCase(t, path, "CREATE TABLE evidence(item TEXT)",
				"INSERT INTO evidence VALUES ('laptop')")
		}, "not a pdnsx case file (SQLite database with application_id 0x00000000)"},
		{"newer case", func(t *testing.T, path string) {
			_, stderr, status := pdnsx(t, append([]string{"ingest", "--quiet", "-o", path},
				captures(goodCapture)...)...)
			if status != exitOK {
				t.Fatalf("ingest: %s", stderr)
			}
			alterCase(t, path, "PRAGMA user_version = 2")
		}, "case file schema 2 is newer than this pdnsx (1); upgrade pdnsx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.sqlite")
			tt.setup(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			for _, args := range [][]string{
				append([]string{"ingest", "--quiet", "-o", path}, captures("vlan.pcap")...),
				{"verify", "-case", path},
			} {
				_, stderr, status := pdnsx(t, args...)
				if status != exitPartial {
					t.Errorf("%s: exit status %d, want %d", args[0], status, exitPartial)
				}
				if !strings.Contains(stderr, path+": "+tt.want) {
					t.Errorf("%s: stderr lacks %q:\n%s", args[0], path+": "+tt.want, stderr)
				}
			}

			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("the refused file changed (%d bytes before, %d after, %v)",
					len(before), len(after), err)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("files beside the refused file: %v", entries)
			}
		})
	}
}

// TestHostileCaptures ingests the captures of crafted DNS payloads: each
// payload that cannot be decoded is a malformed row with its frame, the
// legitimate extremes are stored whole, and the lookup after them is there.
func TestHostileCaptures(t *testing.T) {
	tests := []struct {
		file      string
		malformed string // frames of the malformed rows
		last      string // the lookup written after the crafted payloads
		records   int64  // records of the case
	}{
		{"hostile-names.pcap", "1,2,3,4,5,6", "after-names.example.", 2},
		{"hostile-records.pcap", "2,4,6", "after-records.example.", 309},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			casePath := filepath.Join(t.TempDir(), "case.sqlite")
			_, stderr, status := pdnsx(t, append([]string{"ingest", "--quiet", "-o", casePath},
				captures(tt.file)...)...)
			if status != exitOK {
				t.Fatalf("exit status %d, want %d (malformed DNS is not an input error)\n%s",
					status, exitOK, stderr)
			}
			db := openCase(t, casePath)
			checks := []struct {
				q    string
				want any
			}{
				{`SELECT group_concat(frame, ',')
					FROM (SELECT frame FROM malformed ORDER BY frame)`, tt.malformed},
				{`SELECT count(*) FROM malformed
					WHERE reason LIKE 'dns: %' AND length(payload) > 0`,
					int64(len(strings.Split(tt.malformed, ",")))},
				{`SELECT count(*) FROM lookup_view
					WHERE qname = '` + tt.last + `' AND rcode = 'NOERROR'`, int64(1)},
				{"SELECT count(*) FROM records", tt.records},
				{"SELECT status FROM captures", statusComplete},
			}
			for _, c := range checks {
				var got any
				if err := db.QueryRow(c.q).Scan(&got); err != nil {
					t.Fatalf("%s: %v", c.q, err)
				}
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("%s = %v, want %v", c.q, got, c.want)
				}
			}
		})
	}
}

package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"pdnsx/dnsextract"
)

func TestCaptureRoundTrip(t *testing.T) {
	s := newCase(t)
	run, err := s.BeginRun(sampleTime, "v0.1.0", "pdnsx ingest -o case.pdnsx x.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	c := &Capture{Path: "x.pcap.gz", Size: 1234, SHA256: "ab12", Compression: "gzip"}
	if err := w.StartCapture(0, c); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.CaptureBySHA256("ab12")
	if err != nil || !ok || got.Status != "ingesting" || got.ID != c.ID {
		t.Fatalf("CaptureBySHA256 while ingesting = %+v, %v, %v; want id %d ingesting",
			got, ok, err, c.ID)
	}

	want := Capture{ID: c.ID, Path: "x.pcap.gz", Size: 1234, SHA256: "ab12", Format: "pcapng",
		Compression: "gzip", LinkTypes: "1,113", First: sampleTime,
		Last: sampleTime.Add(time.Hour), Frames: 100, Messages: 80, Malformed: 2,
		Skipped: "link 147: 3", Status: "truncated",
		Error: "pcapread: x.pcap.gz: frame 101 (offset 0x1f3a0): record needs 1514 bytes, 312 left"}
	final := want
	final.ID = 0
	if err := w.FinishCapture(0, &final); err != nil {
		t.Fatal(err)
	}
	if final.ID != c.ID {
		t.Errorf("FinishCapture set ID %d, want %d", final.ID, c.ID)
	}
	got, ok, err = s.CaptureBySHA256("ab12")
	if err != nil || !ok {
		t.Fatalf("CaptureBySHA256 = %v, %v", ok, err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("capture read back:\n%+v\nwant:\n%+v", *got, want)
	}
	if _, ok, err := s.CaptureBySHA256("cd34"); ok || err != nil {
		t.Errorf("CaptureBySHA256 of an unknown sum = %v, %v; want false, nil", ok, err)
	}
}

func TestRuns(t *testing.T) {
	s := newCase(t)
	run, err := s.BeginRun(sampleTime, "v0.1.0", "pdnsx ingest a.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EndRun(run, sampleTime.Add(90*time.Second), "errors"); err != nil {
		t.Fatal(err)
	}
	got := rowMap(t, s, "SELECT * FROM runs WHERE id = ?", run)
	want := map[string]string{"id": "1", "started": "2026-12-03T16:21:13.123456789Z",
		"finished": "2026-12-03T16:22:43.123456789Z", "version": "v0.1.0",
		"command": "pdnsx ingest a.pcap", "outcome": "errors"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runs row = %v, want %v", got, want)
	}
}

func TestMarkInterrupted(t *testing.T) {
	s := newCase(t)
	w := writeCaptures(t, s, 2, 3)
	if err := w.StartCapture(2, &Capture{Path: "cut.pcap"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	n, err := s.MarkInterrupted()
	if err != nil || n != 1 {
		t.Errorf("MarkInterrupted = %d, %v; want 1", n, err)
	}
	got := rowMap(t, s, `SELECT group_concat(status, ',') AS statuses,
		(SELECT group_concat(outcome) FROM runs) AS outcomes FROM captures ORDER BY id`)
	want := map[string]string{"statuses": "complete,complete,interrupted", "outcomes": "interrupted"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after MarkInterrupted: %v, want %v", got, want)
	}
}

func TestDeleteCapture(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	var ls []*dnsextract.Lookup
	for _, tc := range roundTripCases {
		ls = append(ls, tc.lookup(t0))
	}
	ls = append(ls, udp4(query(t0, frames(capB, 9), 10, "b-only.example.", 1), nil))
	if err := w.AddLookups(ls); err != nil {
		t.Fatal(err)
	}
	malformed := []*dnsextract.Malformed{
		{Time: t0, Frames: frames(capA, 1), Reason: "a"},
		{Time: t0, Frames: frames(capB, 1), Reason: "b"},
	}
	if err := w.AddMalformed(malformed); err != nil {
		t.Fatal(err)
	}

	// Delete capB (id 2) while its rows are still buffered in the writer.
	if err := s.DeleteCapture(2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	got := rowMap(t, s, `SELECT
		(SELECT group_concat(id) FROM captures) AS captures,
		(SELECT count(*) FROM lookups) AS lookups,
		(SELECT count(*) FROM lookups WHERE 2 IN (capture_id, query_capture_id,
			response_capture_id)) AS lookups_of_b,
		(SELECT count(*) FROM records WHERE lookup_id NOT IN (SELECT id FROM lookups))
			AS orphan_records,
		(SELECT group_concat(reason) FROM malformed) AS malformed`)
	// Three lookups touch capB: the two round-trip cases across the
	// captures, and b-only.
	want := map[string]string{"captures": "1", "lookups": fmt.Sprint(len(ls) - 3),
		"lookups_of_b":   "0",
		"orphan_records": "0", "malformed": "a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after DeleteCapture: %v, want %v", got, want)
	}
}

func TestFinishIndexes(t *testing.T) {
	s := newCase(t)
	w := writeCaptures(t, s, 1, 50)
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ query, index string }{
		{`SELECT id FROM names WHERE rname >= 'com.example1.' AND rname < 'com.example1/'`,
			"names_rname"},
		{`SELECT id FROM lookups WHERE qname_id = 3`, "lookups_qname"},
		{`SELECT id FROM lookups WHERE client = '10.1.0.3' AND query_time >= '2026-12-03T16'`,
			"lookups_client_time"},
		{`SELECT data FROM records WHERE lookup_id = 2`, "PRIMARY KEY"},
		{`SELECT id FROM pdns WHERE name_id = 2`, "pdns_name"},
		{`SELECT pdns_id FROM pdns_addresses WHERE address BETWEEN x'00' AND x'ff'`,
			"PRIMARY KEY"},
	} {
		t.Run(tc.index, func(t *testing.T) {
			plan := queryPlan(t, s, tc.query)
			if !strings.Contains(plan, tc.index) {
				t.Errorf("plan of %s:\n%s\nwant it to use %s", tc.query, plan, tc.index)
			}
		})
	}
}

// queryPlan returns the EXPLAIN QUERY PLAN details of a query.
func queryPlan(t *testing.T, s *Store, query string) string {
	t.Helper()
	rows, err := s.conn.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// TestWriterAfterDeleteCapture deletes the capture with the newest lookups
// while a writer is open, then writes more: SQLite numbers the new lookups
// from the largest id left, and their records must follow them.
func TestWriterAfterDeleteCapture(t *testing.T) {
	const n = 40
	s := newCase(t)
	w := writeCaptures(t, s, 2, n)
	if err := s.DeleteCapture(2); err != nil {
		t.Fatal(err)
	}
	if err := writeCapture(w, 2, n, n/4); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	got := rowMap(t, s, `SELECT
		(SELECT count(*) FROM lookups) AS lookups,
		(SELECT max(id) FROM lookups) AS max_id,
		(SELECT count(*) FROM records) AS records,
		(SELECT count(*) FROM records r JOIN lookups l ON l.id = r.lookup_id
			WHERE r.ord = 0 AND r.name_id = l.qname_id) AS first_answers_of_qname`)
	want := map[string]string{"lookups": fmt.Sprint(2 * n), "max_id": fmt.Sprint(2 * n),
		"records": fmt.Sprint(6 * n), "first_answers_of_qname": fmt.Sprint(2 * n)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestWriterRowidMismatch adds a lookup behind the writer's back: the
// writer must fail rather than write records that name the wrong lookup.
func TestWriterRowidMismatch(t *testing.T) {
	s := newCase(t)
	w := writeCaptures(t, s, 1, 10)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	err := s.exec(`INSERT INTO lookups(id, capture_id, kind, transport)
		VALUES (100, 1, 'query', 'udp')`)
	if err != nil {
		t.Fatal(err)
	}

	err = writeCapture(w, 1, 10, 10)
	if !errors.Is(err, errRowid) {
		t.Errorf("writing after a stray lookup: %v, want %v", err, errRowid)
	}
	w.Close()
}

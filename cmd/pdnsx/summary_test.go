package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestSummaryTallied checks that the passive DNS summary written from the
// tally of a first ingest equals, id for id, the one a later ingest rebuilds
// from the records of the same case. The inputs are every test capture but
// misnamed-zstd.pcap, a copy of zstd.pcap.zst: a copy's rows are deleted,
// and a deletion makes the first ingest rebuild from the records too.
func TestSummaryTallied(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	args := []string{"ingest", "--quiet", "-o", casePath,
		filepath.Join("..", "..", "testdata", "demo.pcap")}
	entries, err := os.ReadDir(filepath.Join("..", "..", "testdata", "captures"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "misnamed-zstd.pcap" {
			args = append(args, captures(e.Name())...)
		}
	}
	if _, stderr, status := pdnsx(t, args...); status == exitUsage {
		t.Fatalf("first ingest: exit status %d\n%s", status, stderr)
	}
	tallied := dumpSummary(t, casePath)
	if len(tallied["pdns"]) < 100 {
		t.Fatalf("only %d pdns rows", len(tallied["pdns"]))
	}

	if _, stderr, status := pdnsx(t, args...); status == exitUsage {
		t.Fatalf("second ingest: exit status %d\n%s", status, stderr)
	}
	rebuilt := dumpSummary(t, casePath)
	for table := range tallied {
		if !reflect.DeepEqual(tallied[table], rebuilt[table]) {
			t.Errorf("%s differs:\ntallied:\n%v\nrebuilt:\n%v", table, tallied[table],
				rebuilt[table])
		}
	}
}

// dumpSummary renders every row of pdns and pdns_addresses, by table.
func dumpSummary(t *testing.T, casePath string) map[string][]string {
	t.Helper()
	db := openCase(t, casePath)
	dump := make(map[string][]string)
	for table, q := range map[string]string{
		"pdns": `SELECT 'pdns', * FROM pdns ORDER BY id`,
		"pdns_addresses": `SELECT 'pdns_addresses', hex(address), pdns_id FROM pdns_addresses
			ORDER BY address, pdns_id`,
	} {
		dump[table] = dumpRows(t, db, q)[table]
	}
	return dump
}

package main

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestSummaryRebuilt checks that the passive DNS summary a second ingest of
// the same captures rebuilds from the case's records equals, id for id, the
// one the first ingest wrote: the summary is never added to.
func TestSummaryRebuilt(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	args := []string{"ingest", "--quiet", "-o", casePath,
		filepath.Join("..", "..", "testdata", "demo.pcap"),
		filepath.Join("..", "..", "testdata", "captures")}
	if _, stderr, status := pdnsx(t, args...); status == exitUsage {
		t.Fatalf("first ingest: exit status %d\n%s", status, stderr)
	}
	first := dumpSummary(t, casePath)
	if len(first["pdns"]) < 100 {
		t.Fatalf("only %d pdns rows", len(first["pdns"]))
	}

	if _, stderr, status := pdnsx(t, args...); status == exitUsage {
		t.Fatalf("second ingest: exit status %d\n%s", status, stderr)
	}
	rebuilt := dumpSummary(t, casePath)
	for table := range first {
		if !reflect.DeepEqual(first[table], rebuilt[table]) {
			t.Errorf("%s differs:\nfirst:\n%v\nrebuilt:\n%v", table, first[table],
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

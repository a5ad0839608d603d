package sqlitestore

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pdnsx/dnsextract"
)

// tallyLookups are lookups whose summary tests the corners of the tally:
// spellings of a name seen first in a question, a record twice in one
// response, known answers of an unpaired query, a lookup without a client,
// mnemonics that sort apart from their numbers, address hints.
func tallyLookups() []*dnsextract.Lookup {
	const https = `1 . ipv4hint="198.51.100.7" ipv6hint="2001:db8::7,2001:db8::7"`
	noClient := answered(0, 20, "10.0.0.9:1", 4*time.Second, "x.example.",
		rr(dnsextract.Answer, "x.example.", 1, 5, "192.0.2.9"))
	noClient.Client = netip.AddrPort{}
	mdns := &dnsextract.Lookup{Transport: dnsextract.UDP, Unpaired: true,
		Client: ap("10.0.0.7:5353"), Server: ap("224.0.0.251:5353"),
		Query: &dnsextract.Message{Time: sampleTime.Add(5 * time.Second),
			Frames: frames(0, 30), QDCount: 1, QName: "printer.local.", QType: 12, QClass: 1,
			Records: []dnsextract.Record{rr(dnsextract.Answer, "printer.local.", 12, 120,
				"Printer._ipp._tcp.local.")}}}
	chaos := rr(dnsextract.Answer, "version.bind.", 16, 0, `"9.18"`)
	chaos.Class = 3
	return []*dnsextract.Lookup{
		answered(0, 1, "10.0.0.1:1000", 0, "WWW.x.example.",
			rr(dnsextract.Answer, "www.x.example.", 1, 300, "192.0.2.1"),
			rr(dnsextract.Answer, "www.x.example.", 65280, 300, `\# 1 00`),
			rr(dnsextract.Additional, "www.x.example.", 1, 300, "192.0.2.1")),
		answered(0, 3, "10.0.0.2:1000", time.Second, "www.x.example.",
			rr(dnsextract.Answer, "WWW.x.example.", 1, 30, "192.0.2.1"),
			rr(dnsextract.Answer, "www.x.example.", 28, 30, "2001:db8::1")),
		answered(0, 5, "10.0.0.1:1000", 2*time.Second, "x.example.",
			rr(dnsextract.Answer, "x.example.", 65, 60, https),
			rr(dnsextract.Answer, "x.example.", 1, 60, "192.0.2.9"),
			chaos),
		noClient, mdns,
		answered(0, 7, "10.0.0.1:1000", -time.Second, "www.x.example.",
			rr(dnsextract.Answer, "www.x.example.", 1, 600, "192.0.2.1")),
	}
}

// TestTallyMatchesRebuild checks that the summary a writer tallies on an
// empty case is, row for row and id for id, the one pdnsRebuild makes from
// the records.
func TestTallyMatchesRebuild(t *testing.T) {
	defer func(n int) { maxPairs = n }(maxPairs)
	maxPairs = 2 // deduplicate the (row, client) pairs as they come
	s := newCase(t)
	run, err := s.BeginRun(sampleTime, "test", "pdnsx ingest")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.StartCapture(0, &Capture{Path: "c.pcap", Status: "ingesting"}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddLookups(tallyLookups()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s.tally == nil {
		t.Fatal("the writer of an empty case kept no tally")
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	tallied := dumpSummary(t, s)
	if s.tally != nil {
		t.Fatal("Finish kept the tally it wrote")
	}

	if err := s.rebuildPDNS(); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dumpSummary(t, s); rebuilt != tallied {
		t.Errorf("tallied summary:\n%s\nrebuilt from the records:\n%s", tallied, rebuilt)
	}
	if !strings.Contains(tallied, "|1|A|IN|192.0.2.1|") || !strings.Contains(tallied, "|3|2|30|600|") {
		t.Errorf("www.x.example. A 192.0.2.1: want the first spelling, 3 responses from 2 clients:\n%s", tallied)
	}
}

// TestTallyDropped checks the events after which Finish must read the
// records back: a capture deleted, a second writer, a time the tally
// cannot hold.
func TestTallyDropped(t *testing.T) {
	far := answered(0, 1, "10.0.0.1:1000", 0, "far.example.",
		rr(dnsextract.Answer, "far.example.", 1, 5, "192.0.2.2"))
	far.Response.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *Store, w *Writer)
	}{
		{"capture deleted", func(t *testing.T, s *Store, w *Writer) {
			if err := s.DeleteCapture(1); err != nil {
				t.Fatal(err)
			}
		}},
		{"time after 2262", func(t *testing.T, s *Store, w *Writer) {
			if err := w.AddLookups([]*dnsextract.Lookup{far}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newCase(t)
			w := writeCaptures(t, s, 2, 10)
			tc.setup(t, s, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if s.tally != nil {
				t.Error("the tally was kept")
			}
			if err := s.Finish(); err != nil {
				t.Fatal(err)
			}
			want := dumpSummary(t, s) // now from the records
			if err := s.rebuildPDNS(); err != nil {
				t.Fatal(err)
			}
			if got := dumpSummary(t, s); got != want || want == "" {
				t.Errorf("summary %q, rebuilt %q", want, got)
			}
		})
	}

	s := newCase(t)
	w := writeCaptures(t, s, 1, 10)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := s.NewWriter(1)
	if err != nil {
		t.Fatal(err)
	}
	if s.tally != nil || w2.tally != nil {
		t.Error("a second writer kept a tally of a case that has lookups")
	}
	w2.Close()
}

// dumpSummary renders the pdns and pdns_addresses tables, every column.
func dumpSummary(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, name_id, type, class, data, time_first, time_last, count, clients, ttl_min,
			ttl_max FROM pdns ORDER BY id`,
		`SELECT hex(address), pdns_id, '', '', '', '', '', '', '', '', '' FROM pdns_addresses
			ORDER BY address, pdns_id`,
	} {
		rows, err := s.conn.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v := make([]any, 11)
			p := make([]any, len(v))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			for _, x := range v {
				fmt.Fprintf(&b, "%v|", x)
			}
			b.WriteByte('\n')
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestTextTable checks that a text table numbers texts in the order they
// come, finds them again across growth and reset, and copies new keys.
func TestTextTable(t *testing.T) {
	tt := newTextTable()
	for round := range 2 {
		for i := range 5000 {
			key := []byte(fmt.Sprintf("name-%d.example.", i))
			n, added := tt.index(key)
			if n != int32(i) || !added {
				t.Fatalf("round %d: index(%s) = %d, %v; want %d, true", round, key, n, added, i)
			}
			key[0] = 'X' // the table keeps its own copy
		}
		for i := range 5000 {
			key := fmt.Sprintf("name-%d.example.", i)
			if n, added := tt.indexString(key); n != int32(i) || added {
				t.Fatalf("indexString(%s) = %d, %v; want %d, false", key, n, added, i)
			}
			if got := string(tt.text(int32(i))); got != key {
				t.Fatalf("text(%d) = %q, want %q", i, got, key)
			}
		}
		if n, added := tt.indexString(""); n != 5000 || !added {
			t.Errorf("the empty text: %d, %v", n, added)
		}
		tt.reset()
	}
}

package sqlitestore

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"pdnsx/dnsextract"
)

// mustOpen opens a case for writing or fails the test.
func mustOpen(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newCase opens a new case in a temporary directory, closed at cleanup.
func newCase(t testing.TB) *Store {
	t.Helper()
	s := mustOpen(t, filepath.Join(t.TempDir(), "case.pdnsx"))
	t.Cleanup(func() { s.Close() })
	return s
}

// mustTime parses an RFC 3339 time or fails the test.
func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// ap parses an address and port.
func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// frames lists frame numbers in one capture.
func frames(capture int, numbers ...int64) []dnsextract.FrameRef {
	refs := make([]dnsextract.FrameRef, len(numbers))
	for i, n := range numbers {
		refs[i] = dnsextract.FrameRef{Capture: capture, Frame: n}
	}
	return refs
}

// sampleTime is the capture time of the first sample lookup.
var sampleTime = time.Date(2026, 12, 3, 16, 21, 13, 123456789, time.UTC)

// sampleLookup returns the i-th of a realistic stream of answered lookups:
// an A query from one of 250 clients for one of 5000 names, answered with
// a CNAME and two addresses, at frames 2i+1 and 2i+2 of capture.
func sampleLookup(capture, i int) *dnsextract.Lookup {
	name := fmt.Sprintf("host%d.example%d.com.", i%5000, i%37)
	target := fmt.Sprintf("edge%d.cdn.example.net.", i%700)
	client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i % 250 / 100), byte(i % 250)}),
		uint16(1024+i%60000))
	server := ap("192.0.2.53:53")
	at := sampleTime.Add(time.Duration(i) * time.Millisecond)
	q := &dnsextract.Message{
		Time: at, Frames: frames(capture, int64(2*i+1)), Src: client, Dst: server, Size: 45,
		ID: uint16(i), Flags: 0x0100, QDCount: 1, ARCount: 1,
		QName: name, QType: 1, QClass: 1, EDNS: true, UDPSize: 1232,
	}
	r := &dnsextract.Message{
		Time: at.Add(1800 * time.Microsecond), Frames: frames(capture, int64(2*i+2)),
		Src: server, Dst: client, Size: 130, ID: uint16(i), Response: true, Flags: 0x8180,
		QDCount: 1, ANCount: 3, ARCount: 1, QName: name, QType: 1, QClass: 1,
		EDNS: true, UDPSize: 1232,
		Records: []dnsextract.Record{
			{Section: dnsextract.Answer, Name: name, Type: 5, Class: 1, TTL: 300, Data: target},
			{Section: dnsextract.Answer, Name: target, Type: 1, Class: 1, TTL: 20,
				Data: fmt.Sprintf("203.0.113.%d", i%200)},
			{Section: dnsextract.Answer, Name: target, Type: 1, Class: 1, TTL: 20,
				Data: fmt.Sprintf("198.51.100.%d", i%200)},
		},
	}
	return &dnsextract.Lookup{
		Transport: dnsextract.UDP, Path: "eth/ipv4/udp", Client: client, Server: server,
		Query: q, Response: r,
	}
}

// writeCaptures writes captures of n sample lookups each through a new
// writer of a new run, finishing each capture, and returns the writer.
func writeCaptures(t testing.TB, s *Store, captures, n int) *Writer {
	t.Helper()
	run, err := s.BeginRun(sampleTime, "test", "pdnsx ingest")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	for c := range captures {
		if err := writeCapture(w, c, n, n); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// writeCapture writes capture index c with n sample lookups, flushing
// after every chunk of them as cmd/pdnsx does, and finishes it as
// complete.
func writeCapture(w *Writer, c, n, chunk int) error {
	capture := &Capture{Path: fmt.Sprintf("dmz-%04d.pcap", c), SHA256: fmt.Sprintf("%064x", c),
		Format: "pcap", Status: "ingesting"}
	if err := w.StartCapture(c, capture); err != nil {
		return err
	}
	for start := 0; start < n; start += chunk {
		ls := make([]*dnsextract.Lookup, min(chunk, n-start))
		for i := range ls {
			ls[i] = sampleLookup(c, start+i)
		}
		if err := w.AddLookups(ls); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	capture.Frames = int64(2 * n)
	capture.Messages = int64(2 * n)
	capture.Status = "complete"
	return w.FinishCapture(c, capture)
}

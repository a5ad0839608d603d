package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pdnsx/dnsextract"
)

// Capture indexes of the round trip; they differ from the row ids on
// purpose (index 7 becomes captures.id 1, index 3 becomes 2).
const (
	capA = 7
	capB = 3
)

// client and server of the round-trip lookups.
var (
	client4 = ap("10.1.2.3:50000")
	server4 = ap("192.0.2.53:53")
	client6 = ap("[2001:db8::1]:40000")
	server6 = ap("[2001:db8::53]:53")
)

// query returns a query message from client to server.
func query(at time.Time, refs []dnsextract.FrameRef, id uint16, qname string,
	qtype uint16) *dnsextract.Message {
	return &dnsextract.Message{Time: at, Frames: refs, Src: client4, Dst: server4, Size: 40,
		ID: id, Flags: 0x0100, QDCount: 1, QName: qname, QType: qtype, QClass: 1}
}

// response returns a response message from server to client.
func response(at time.Time, refs []dnsextract.FrameRef, id uint16, qname string,
	qtype, rcode uint16, records ...dnsextract.Record) *dnsextract.Message {
	m := &dnsextract.Message{Time: at, Frames: refs, Src: server4, Dst: client4, Size: 100,
		ID: id, Response: true, Flags: 0x8180 | rcode&0xf, Rcode: rcode, QDCount: 1,
		QName: qname, QType: qtype, QClass: 1, Records: records}
	for _, r := range records {
		switch r.Section {
		case dnsextract.Answer:
			m.ANCount++
		case dnsextract.Authority:
			m.NSCount++
		case dnsextract.Additional:
			m.ARCount++
		}
	}
	return m
}

// rr returns a record.
func rr(section dnsextract.Section, name string, typ uint16, ttl uint32,
	data string) dnsextract.Record {
	return dnsextract.Record{Section: section, Name: name, Type: typ, Class: 1, TTL: ttl, Data: data}
}

// udp4 returns a lookup between client4 and server4 over UDP.
func udp4(q, r *dnsextract.Message) *dnsextract.Lookup {
	return &dnsextract.Lookup{Transport: dnsextract.UDP, Path: "eth/ipv4/udp",
		Client: client4, Server: server4, Query: q, Response: r}
}

// roundTripCase is a lookup and what the case file must hold for it.
type roundTripCase struct {
	name    string
	lookup  func(t0 time.Time) *dnsextract.Lookup
	want    map[string]string // lookup_view columns; "NULL" for NULL
	records []string          // "section name type class ttl data", in order
}

var roundTripCases = []roundTripCase{
	{
		name: "answered with three sections and EDNS",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 10), 0x1234, "www.Evil.example.", 1)
			q.ARCount, q.EDNS, q.UDPSize, q.DO, q.ClientSubnet = 1, true, 1232, true, "10.1.2.0/24"
			r := response(t0.Add(1500*time.Microsecond), frames(capA, 11), 0x1234,
				"www.Evil.example.", 1, 0,
				rr(dnsextract.Answer, "www.Evil.example.", 1, 300, "203.0.113.7"),
				rr(dnsextract.Authority, "Evil.example.", 2, 86400, "ns1.evil.example."),
				rr(dnsextract.Additional, "ns1.evil.example.", 1, 86400, "203.0.113.53"))
			r.Flags |= 0x0400
			r.EDNS, r.UDPSize = true, 4096
			return udp4(q, r)
		},
		want: map[string]string{
			"capture_id": "1", "kind": "answered", "transport": "udp", "path": "eth/ipv4/udp",
			"client": "10.1.2.3", "client_port": "50000", "server": "192.0.2.53",
			"server_port": "53", "txid": "4660", "qname": "www.Evil.example.", "qtype": "A",
			"qclass": "IN", "opcode": "QUERY", "rcode": "NOERROR",
			"query_time":    "2026-12-03T16:21:13.123456789Z",
			"response_time": "2026-12-03T16:21:13.124956789Z",
			"rtt_us":        "1500", "query_flags": "256", "response_flags": "34176", "tc": "0",
			"aa": "1", "an_count": "1", "ns_count": "1", "ar_count": "1",
			"edns_udp_size": "1232", "edns_do": "1", "edns_client_subnet": "10.1.2.0/24",
			"query_size": "40", "response_size": "100",
			"query_capture_id": "1", "query_frame": "10", "query_frames": "NULL",
			"response_capture_id": "1", "response_frame": "11", "response_frames": "NULL",
			"query_sha256": "aaaa", "query_capture": "a.pcap",
			"response_sha256": "aaaa", "response_capture": "a.pcap",
		},
		records: []string{
			"answer www.Evil.example. A IN 300 203.0.113.7",
			"authority Evil.example. NS IN 86400 ns1.evil.example.",
			"additional ns1.evil.example. A IN 86400 203.0.113.53",
		},
	},
	{
		name: "unanswered",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			return udp4(query(t0, frames(capA, 12), 2, "typo.example.", 28), nil)
		},
		want: map[string]string{
			"kind": "unanswered", "txid": "2", "qname": "typo.example.", "qtype": "AAAA",
			"rcode": "NULL", "query_time": "2026-12-03T16:21:13.123456789Z",
			"response_time": "NULL", "rtt_us": "NULL", "query_flags": "256",
			"response_flags": "NULL", "tc": "NULL", "aa": "NULL", "an_count": "NULL",
			"edns_udp_size": "NULL", "edns_do": "NULL", "edns_client_subnet": "NULL",
			"query_size": "40", "response_size": "NULL", "query_frame": "12",
			"response_capture_id": "NULL", "response_frame": "NULL", "response_sha256": "NULL",
		},
	},
	{
		name: "unsolicited NXDOMAIN",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			r := response(t0, frames(capA, 13), 3, "gone.example.", 1, 3,
				rr(dnsextract.Authority, "example.", 6, 900,
					"ns.example. hostmaster.example. 1 7200 3600 1209600 900"))
			r.EDNS, r.UDPSize, r.DO = true, 1400, true
			return udp4(nil, r)
		},
		want: map[string]string{
			"capture_id": "1", "kind": "unsolicited", "txid": "3", "qname": "gone.example.",
			"rcode": "NXDOMAIN", "query_time": "NULL",
			"response_time": "2026-12-03T16:21:13.123456789Z", "rtt_us": "NULL",
			"query_flags": "NULL", "response_flags": "33155", "ns_count": "1",
			"edns_udp_size": "1400", "edns_do": "1", "query_capture_id": "NULL",
			"query_frame": "NULL", "query_size": "NULL", "response_frame": "13",
			"query_sha256": "NULL",
		},
		records: []string{
			"authority example. SOA IN 900 ns.example. hostmaster.example. 1 7200 3600 1209600 900",
		},
	},
	{
		name: "TCP in several frames",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 20, 21), 4, "big.example.", 16)
			r := response(t0.Add(30*time.Millisecond), frames(capA, 22, 23, 25), 4,
				"big.example.", 16, 0, rr(dnsextract.Answer, "big.example.", 16, 60, `"v=spf1 -all"`))
			r.Flags |= 0x0200
			l := udp4(q, r)
			l.Transport, l.Path = dnsextract.TCP, "eth/ipv4/tcp"
			return l
		},
		want: map[string]string{
			"transport": "tcp", "path": "eth/ipv4/tcp", "qtype": "TXT", "rtt_us": "30000",
			"tc": "1", "aa": "0", "query_frame": "20", "query_frames": "20,21",
			"response_frame": "22", "response_frames": "22,23,25",
		},
		records: []string{`answer big.example. TXT IN 60 "v=spf1 -all"`},
	},
	{
		name: "IPv6",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 30), 5, "v6.example.", 28)
			r := response(t0.Add(time.Millisecond), frames(capA, 31), 5, "v6.example.", 28, 0,
				rr(dnsextract.Answer, "v6.example.", 28, 60, "2001:db8::7"))
			q.Src, q.Dst, r.Src, r.Dst = client6, server6, server6, client6
			return &dnsextract.Lookup{Transport: dnsextract.UDP, Path: "eth/ipv6/udp",
				Client: client6, Server: server6, Query: q, Response: r}
		},
		want: map[string]string{
			"client": "2001:db8::1", "client_port": "40000", "server": "2001:db8::53",
			"server_port": "53", "path": "eth/ipv6/udp", "qtype": "AAAA",
		},
		records: []string{"answer v6.example. AAAA IN 60 2001:db8::7"},
	},
	{
		name: "query and response in two captures",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 100), 6, "rotated.example.", 1)
			r := response(t0.Add(2*time.Millisecond), frames(capB, 1), 6, "rotated.example.",
				1, 0, rr(dnsextract.Answer, "rotated.example.", 1, 5, "192.0.2.1"))
			return udp4(q, r)
		},
		want: map[string]string{
			"capture_id": "1", "query_capture_id": "1", "query_frame": "100",
			"response_capture_id": "2", "response_frame": "1",
			"query_capture": "a.pcap", "response_capture": "b.pcap", "response_sha256": "bbbb",
		},
		records: []string{"answer rotated.example. A IN 5 192.0.2.1"},
	},
	{
		name: "response earlier than query names the capture",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0.Add(time.Second), frames(capB, 2), 7, "skew.example.", 1)
			r := response(t0, frames(capA, 101), 7, "skew.example.", 1, 2)
			return udp4(q, r)
		},
		want: map[string]string{
			"capture_id": "1", "query_capture_id": "2", "response_capture_id": "1",
			"rcode": "SERVFAIL", "rtt_us": "-1000000",
		},
	},
	{
		name: "numbers without mnemonics",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 40), 8, "odd.example.", 65280)
			q.QClass, q.Opcode = 32769, 7
			r := response(t0, frames(capA, 41), 8, "odd.example.", 65280, 100,
				dnsextract.Record{Section: dnsextract.Answer, Name: "odd.example.", Type: 65280,
					Class: 32769, TTL: 1, Data: `\# 2 abcd`})
			return udp4(q, r)
		},
		want: map[string]string{
			"qtype": "TYPE65280", "qclass": "CLASS32769", "opcode": "OPCODE7", "rcode": "RCODE100",
		},
		records: []string{`answer odd.example. TYPE65280 CLASS32769 1 \# 2 abcd`},
	},
	{
		name: "unpaired mDNS query with a known answer",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 60), 11, "_ipp._tcp.local.", 12)
			q.Dst = ap("224.0.0.251:5353")
			q.ANCount = 1
			q.Records = []dnsextract.Record{rr(dnsextract.Answer, "_ipp._tcp.local.", 12, 4500,
				"printer._ipp._tcp.local.")}
			return &dnsextract.Lookup{Transport: dnsextract.UDP, Unpaired: true,
				Path: "eth/ipv4/udp", Client: ap("10.1.2.9:5353"), Query: q}
		},
		want: map[string]string{
			"kind": "unpaired", "client": "10.1.2.9", "client_port": "5353", "server": "NULL",
			"server_port": "NULL", "qtype": "PTR", "rcode": "NULL", "an_count": "NULL",
		},
		records: []string{"answer _ipp._tcp.local. PTR IN 4500 printer._ipp._tcp.local."},
	},
	{
		name: "unpaired mDNS announcement",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			r := response(t0, frames(capA, 61), 0, "", 0, 0, dnsextract.Record{
				Section: dnsextract.Answer, Name: "printer.local.", Type: 1, Class: 0x8001,
				TTL: 120, Data: "10.1.2.9"})
			r.QDCount, r.Flags = 0, 0x8400
			r.ID = 12 // to find it; mDNS announcements have ID 0
			return &dnsextract.Lookup{Transport: dnsextract.UDP, Unpaired: true,
				Path: "eth/ipv4/udp", Server: ap("10.1.2.9:5353"), Response: r}
		},
		want: map[string]string{
			"kind": "unpaired", "client": "NULL", "server": "10.1.2.9", "qname": "NULL",
			"qtype": "NULL", "rcode": "NOERROR", "aa": "1", "an_count": "1", "query_time": "NULL",
		},
		records: []string{"answer printer.local. A CLASS32769 120 10.1.2.9"},
	},
	{
		name: "no question",
		lookup: func(t0 time.Time) *dnsextract.Lookup {
			q := query(t0, frames(capA, 50), 9, "", 0)
			q.QDCount, q.Opcode = 0, 4
			return udp4(q, nil)
		},
		want: map[string]string{
			"qname_id": "NULL", "qname": "NULL", "qtype": "NULL", "qclass": "NULL",
			"opcode": "NOTIFY",
		},
	},
}

func TestWriterRoundTrip(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	var ls []*dnsextract.Lookup
	for _, tc := range roundTripCases {
		ls = append(ls, tc.lookup(t0))
	}
	if err := w.AddLookups(ls); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	for i, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			id := lookupID(t, s, ls[i])
			got := rowMap(t, s, "SELECT * FROM lookup_view WHERE id = ?", id)
			for col, want := range tc.want {
				if g, ok := got[col]; !ok || g != want {
					t.Errorf("%s = %q, want %q", col, g, want)
				}
			}
			records := recordLines(t, s, id)
			if strings.Join(records, "\n") != strings.Join(tc.records, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(records, "\n"),
					strings.Join(tc.records, "\n"))
			}
		})
	}
}

// startRoundTrip starts a run and captures capA ("a.pcap") and capB
// ("b.pcap") in a new writer.
func startRoundTrip(t *testing.T, s *Store) *Writer {
	t.Helper()
	run, err := s.BeginRun(sampleTime, "test", "pdnsx ingest a.pcap b.pcap")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		index int
		path  string
	}{{capA, "a.pcap"}, {capB, "b.pcap"}} {
		capture := &Capture{Path: c.path, SHA256: strings.Repeat(c.path[:1], 4)}
		if err := w.StartCapture(c.index, capture); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// lookupID finds the row id of a lookup by its transaction id.
func lookupID(t *testing.T, s *Store, l *dnsextract.Lookup) int64 {
	t.Helper()
	m := l.Query
	if m == nil {
		m = l.Response
	}
	var id int64
	err := s.conn.QueryRowContext(context.Background(),
		"SELECT id FROM lookups WHERE txid = ?", m.ID).Scan(&id)
	if err != nil {
		t.Fatalf("lookup with txid %d: %v", m.ID, err)
	}
	return id
}

// rowMap runs a query for one row and returns its columns as text, with
// "NULL" for NULL.
func rowMap(t *testing.T, s *Store, query string, args ...any) map[string]string {
	t.Helper()
	rows, err := s.conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("%s %v: no row (%v)", query, args, rows.Err())
	}
	values := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		m[c] = "NULL"
		if values[i].Valid {
			m[c] = values[i].String
		}
	}
	return m
}

// recordLines returns the records of a lookup as "section name type class
// ttl data", in the order they were written.
func recordLines(t *testing.T, s *Store, lookupID int64) []string {
	t.Helper()
	rows, err := s.conn.QueryContext(context.Background(), `SELECT r.section, n.name, r.type,
		r.class, r.ttl, r.data FROM records r JOIN names n ON n.id = r.name_id
		WHERE r.lookup_id = ? ORDER BY r.ord`, lookupID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var section, name, typ, class, data string
		var ttl int64
		if err := rows.Scan(&section, &name, &typ, &class, &ttl, &data); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s %d %s", section, name, typ, class, ttl, data))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestRecordView(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	l := roundTripCases[0].lookup(t0)
	if err := w.AddLookups([]*dnsextract.Lookup{l}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	got := rowMap(t, s, "SELECT * FROM record_view WHERE section = 'authority'")
	want := map[string]string{
		"lookup_id": "1", "section": "authority", "name": "Evil.example.", "type": "NS",
		"class": "IN", "ttl": "86400", "data": "ns1.evil.example.", "client": "10.1.2.3",
		"server": "192.0.2.53", "query_time": "2026-12-03T16:21:13.123456789Z",
		"response_time": "2026-12-03T16:21:13.124956789Z", "qname": "www.Evil.example.",
	}
	if len(got) != len(want) {
		t.Errorf("record_view has columns %v, want %d", got, len(want))
	}
	for col, v := range want {
		if got[col] != v {
			t.Errorf("%s = %q, want %q", col, got[col], v)
		}
	}
}

func TestNames(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	first := roundTripCases[0].lookup(t0)
	if err := w.AddLookups([]*dnsextract.Lookup{first, first}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A second writer finds the names the first one stored, in the case
	// and, once its dictionary is full, in the case again.
	defer func(n int) { maxCachedNames = n }(maxCachedNames)
	maxCachedNames = 2
	run, err := s.BeginRun(t0, "test", "again")
	if err != nil {
		t.Fatal(err)
	}
	w2, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.StartCapture(capA, &Capture{Path: "a.pcap"}); err != nil {
		t.Fatal(err)
	}
	ls := []*dnsextract.Lookup{first, roundTripCases[4].lookup(t0), first}
	if err := w2.AddLookups(ls); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}

	rows, err := s.conn.QueryContext(context.Background(),
		"SELECT name, rname, count(*) OVER (PARTITION BY name) FROM names ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name, rname string
		var n int
		if err := rows.Scan(&name, &rname, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d", name, rname, n))
	}
	want := []string{
		"www.Evil.example. example.evil.www. 1",
		"Evil.example. example.evil. 1",
		"ns1.evil.example. example.evil.ns1. 1",
		"v6.example. example.v6. 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("names:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAddLookupsRefusesUnknownCapture(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	good := roundTripCases[1].lookup(t0)
	for _, tc := range []struct {
		name string
		bad  *dnsextract.Lookup
	}{
		{"capture not started", udp4(query(t0, frames(99, 1), 77, "x.example.", 1), nil)},
		{"response capture not started", udp4(query(t0, frames(capA, 1), 77, "x.example.", 1),
			response(t0, frames(99, 2), 77, "x.example.", 1, 0))},
		{"no frames", udp4(query(t0, nil, 77, "x.example.", 1), nil)},
		{"no messages", &dnsextract.Lookup{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, s, "lookups")
			err := w.AddLookups([]*dnsextract.Lookup{good, tc.bad, good})
			if !errors.Is(err, errNoCapture) {
				t.Errorf("AddLookups: %v, want %v", err, errNoCapture)
			}
			if err := w.Flush(); err != nil {
				t.Fatalf("Flush after a refused lookup: %v", err)
			}
			if got := count(t, s, "lookups") - before; got != 1 {
				t.Errorf("%d lookups stored, want the 1 before the refused one", got)
			}
		})
	}
}

// count returns the number of rows of a table.
func count(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	var n int64
	err := s.conn.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMalformed(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	t0 := mustTime(t, "2026-12-03T16:21:13.123456789Z")
	ms := []*dnsextract.Malformed{
		{Time: t0, Frames: frames(capA, 5), Transport: dnsextract.UDP, Path: "eth/ipv4/udp",
			Src: client4, Dst: server4, Reason: "dns: overflow unpacking uint16",
			Payload: []byte{0x12, 0x34, 0x01}},
		{Time: t0.Add(time.Second), Frames: frames(capB, 8, 9), Transport: dnsextract.TCP,
			Path: "sll/ipv6/tcp", Src: client6, Dst: server6, Reason: "dns: bad rdata"},
	}
	if err := w.AddMalformed(ms); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	for i, want := range []map[string]string{
		{"id": "1", "capture_id": "1", "frame": "5", "frames": "NULL",
			"time": "2026-12-03T16:21:13.123456789Z", "transport": "udp", "path": "eth/ipv4/udp",
			"src": "10.1.2.3", "src_port": "50000", "dst": "192.0.2.53", "dst_port": "53",
			"reason": "dns: overflow unpacking uint16", "payload": "\x12\x34\x01"},
		{"id": "2", "capture_id": "2", "frame": "8", "frames": "8,9",
			"time": "2026-12-03T16:21:14.123456789Z", "transport": "tcp", "path": "sll/ipv6/tcp",
			"src": "2001:db8::1", "src_port": "40000", "dst": "2001:db8::53", "dst_port": "53",
			"reason": "dns: bad rdata", "payload": "NULL"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got := rowMap(t, s, "SELECT * FROM malformed WHERE id = ?", i+1)
			if len(got) != len(want) {
				t.Errorf("malformed has columns %v, want %d", got, len(want))
			}
			for col, v := range want {
				if got[col] != v {
					t.Errorf("%s = %q, want %q", col, got[col], v)
				}
			}
		})
	}
}

func TestWriterLifecycle(t *testing.T) {
	s := newCase(t)
	w := startRoundTrip(t, s)
	if _, err := s.NewWriter(1); err == nil {
		t.Error("second NewWriter succeeded while one is open")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	l := roundTripCases[1].lookup(sampleTime)
	if err := w.AddLookups([]*dnsextract.Lookup{l}); !errors.Is(err, errWriterClosed) {
		t.Errorf("AddLookups after Close: %v, want %v", err, errWriterClosed)
	}

	w2, err := s.NewWriter(1)
	if err != nil {
		t.Fatalf("NewWriter after Close: %v", err)
	}
	if err := w2.StartCapture(capA, &Capture{Path: "a.pcap"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // closes w2, committing its capture
		t.Fatal(err)
	}
	r, err := OpenReadOnly(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := count(t, r, "captures"); got != 3 {
		t.Errorf("%d captures after Store.Close, want 3", got)
	}
	if _, err := r.NewWriter(1); err == nil {
		t.Error("NewWriter on a read-only store succeeded")
	}
}

// TestNameIDs checks the ids the writer gives names, whether a name comes
// back as the same string, as a copy, or after many others have taken the
// recent slots.
func TestNameIDs(t *testing.T) {
	s := newCase(t)
	w, err := s.NewWriter(1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	names := make([]string, 2*recentNames)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.example.", i)
	}
	ids := make(map[string]int64)
	for round := range 3 {
		for i := range 3 * recentNames {
			name := names[i%len(names)]
			if round == 1 {
				name = strings.Clone(name) // the same name at another address
			}
			id, err := w.nameID(name)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := ids[name]; ok && id != want {
				t.Fatalf("round %d: %s has id %d, had %d", round, name, id, want)
			}
			ids[name] = id
		}
	}
	if len(ids) != 2*recentNames {
		t.Errorf("%d names, want %d", len(ids), 2*recentNames)
	}
	seen := make(map[int64]string)
	for name, id := range ids {
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s share id %d", name, other, id)
		}
		seen[id] = name
	}
}

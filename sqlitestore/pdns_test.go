package sqlitestore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"pdnsx/dnsextract"
)

// answered returns a lookup of name from client at sampleTime plus at,
// answered with records.
func answered(capture int, frame int64, client string, at time.Duration, name string,
	records ...dnsextract.Record) *dnsextract.Lookup {
	c, s := ap(client), ap("192.0.2.53:53")
	t := sampleTime.Add(at)
	q := &dnsextract.Message{Time: t, Frames: frames(capture, frame), Src: c, Dst: s, ID: 7,
		Flags: 0x0100, QDCount: 1, QName: name, QType: 1, QClass: 1}
	r := &dnsextract.Message{Time: t.Add(time.Millisecond), Frames: frames(capture, frame+1),
		Src: s, Dst: c, ID: 7, Response: true, Flags: 0x8180, QDCount: 1,
		ANCount: uint16(len(records)), QName: name, QType: 1, QClass: 1, Records: records}
	return &dnsextract.Lookup{Transport: dnsextract.UDP, Client: c, Server: s, Query: q,
		Response: r}
}

// pdnsCase writes two captures of lookups whose summary is known and
// returns the store with the writer closed.
func pdnsCase(t *testing.T) *Store {
	t.Helper()
	s := newCase(t)
	run, err := s.BeginRun(sampleTime, "test", "pdnsx ingest")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	const https = `1 . alpn="h2,h3" ipv4hint="198.51.100.7,198.51.100.8" ipv6hint="2001:db8::7"`
	captures := [][]*dnsextract.Lookup{
		{
			answered(0, 1, "10.0.0.1:1000", 0, "www.evil.example.",
				rr(dnsextract.Answer, "www.evil.example.", 1, 300, "203.0.113.7")),
			answered(0, 3, "10.0.0.2:1000", time.Second, "WWW.Evil.example.",
				rr(dnsextract.Answer, "WWW.Evil.example.", 1, 60, "203.0.113.7")),
			answered(0, 5, "10.0.0.1:1001", 2*time.Second, "evil.example.",
				rr(dnsextract.Answer, "evil.example.", 65, 300, https)),
		},
		{
			answered(1, 1, "[2001:db8:1::5]:1000", time.Minute, "www.evil.example.",
				rr(dnsextract.Answer, "www.evil.example.", 1, 120, "203.0.113.7"),
				rr(dnsextract.Answer, "www.evil.example.", 28, 120, "2001:db8::7"),
				// The same record again in another section: one response still.
				rr(dnsextract.Additional, "www.evil.example.", 28, 120, "2001:db8::7")),
		},
	}
	for i, ls := range captures {
		c := &Capture{Path: "c.pcap", SHA256: string(rune('a' + i)), Status: "ingesting"}
		if err := w.StartCapture(i, c); err != nil {
			t.Fatal(err)
		}
		if err := w.AddLookups(ls); err != nil {
			t.Fatal(err)
		}
		c.Status = "complete"
		if err := w.FinishCapture(i, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return s
}

// collect gathers the rows of a sequence or fails the test.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var all []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	return all
}

// at returns sampleTime plus d plus the 1 ms a response takes.
func at(d time.Duration) time.Time { return sampleTime.Add(d + time.Millisecond) }

func TestPDNSRebuild(t *testing.T) {
	s := pdnsCase(t)
	const https = `1 . alpn="h2,h3" ipv4hint="198.51.100.7,198.51.100.8" ipv6hint="2001:db8::7"`
	all := []*PDNS{
		{Name: "evil.example.", Type: "HTTPS", Class: "IN", Data: https,
			First: at(2 * time.Second), Last: at(2 * time.Second), Count: 1, Clients: 1,
			TTLMin: 300, TTLMax: 300},
		{Name: "www.evil.example.", Type: "A", Class: "IN", Data: "203.0.113.7",
			First: at(0), Last: at(time.Minute), Count: 3, Clients: 3, TTLMin: 60,
			TTLMax: 300}, // WWW.Evil.example. folds into the spelling seen first
		{Name: "www.evil.example.", Type: "AAAA", Class: "IN", Data: "2001:db8::7",
			First: at(time.Minute), Last: at(time.Minute), Count: 1, Clients: 1, TTLMin: 120,
			TTLMax: 120},
	}
	sortPDNS := func(ps []*PDNS) []*PDNS {
		slices.SortFunc(ps, func(a, b *PDNS) int {
			return strings.Compare(a.Name+a.Type, b.Name+b.Type)
		})
		return ps
	}

	for round := range 2 { // a second Finish rebuilds, it does not add
		if err := s.Finish(); err != nil {
			t.Fatal(err)
		}
		got := sortPDNS(collect(t, s.PDNS(Filter{})))
		if !reflect.DeepEqual(got, all) {
			t.Errorf("round %d: pdns rows:\n%s\nwant:\n%s", round, dumpPDNS(got), dumpPDNS(all))
		}
	}

	// Deleting the second capture takes its records out of the summary.
	if err := s.DeleteCapture(2); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	got := sortPDNS(collect(t, s.PDNS(Filter{})))
	want := []*PDNS{all[0], {Name: "www.evil.example.", Type: "A", Class: "IN",
		Data: "203.0.113.7", First: at(0), Last: at(time.Second), Count: 2, Clients: 2,
		TTLMin: 60, TTLMax: 300}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after DeleteCapture: pdns rows:\n%s\nwant:\n%s", dumpPDNS(got), dumpPDNS(want))
	}
	var addrs int
	err := s.conn.QueryRowContext(context.Background(),
		"SELECT count(*) FROM pdns_addresses").Scan(&addrs)
	if err != nil || addrs != 4 { // an A row, 3 hints
		t.Errorf("pdns_addresses rows = %d, %v; want 4", addrs, err)
	}
}

// dumpPDNS formats pdns rows for a test message.
func dumpPDNS(ps []*PDNS) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s %s %s %s count %d clients %d ttl %d-%d\n", p.Name, p.Type,
			p.Data, timeText(p.First), timeText(p.Last), p.Count, p.Clients, p.TTLMin, p.TTLMax)
	}
	return b.String()
}

func TestPDNSByAddress(t *testing.T) {
	s := pdnsCase(t)
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   []string // name type of the rows, in order
	}{
		{"203.0.113.7/32", []string{"www.evil.example. A"}},
		{"203.0.113.0/24", []string{"www.evil.example. A"}},
		{"203.0.113.8/29", nil}, // 203.0.113.8-15: the block's first address is past .7
		{"203.0.113.6/31", []string{"www.evil.example. A"}},
		{"198.51.100.8/32", []string{"evil.example. HTTPS"}}, // second ipv4hint
		{"198.51.100.0/24", []string{"evil.example. HTTPS"}}, // two hints, one row
		{"2001:db8::7/128", []string{"evil.example. HTTPS", "www.evil.example. AAAA"}},
		{"2001:db8::/32", []string{"evil.example. HTTPS", "www.evil.example. AAAA"}},
		{"2001:db9::/32", nil},
		{"::ffff:203.0.113.7/128", []string{"www.evil.example. A"}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			var got []string
			for _, p := range collect(t, s.PDNSByAddress(netip.MustParsePrefix(tt.prefix),
				Filter{})) {
				got = append(got, p.Name+" "+p.Type)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PDNSByAddress(%s) = %q, want %q", tt.prefix, got, tt.want)
			}
		})
	}
}

func TestPrefixRange(t *testing.T) {
	key := func(a string) []byte { return AddressKey(netip.MustParseAddr(a)) }
	tests := []struct {
		prefix, lo, hi string
	}{
		{"10.1.2.3/32", "10.1.2.3", "10.1.2.3"},
		{"10.1.2.3/24", "10.1.2.0", "10.1.2.255"},
		{"10.1.0.0/20", "10.1.0.0", "10.1.15.255"},
		{"0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
		{"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"2001:db8::1/127", "2001:db8::", "2001:db8::1"},
		{"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			lo, hi := prefixRange(netip.MustParsePrefix(tt.prefix))
			if !bytes.Equal(lo, key(tt.lo)) || !bytes.Equal(hi, key(tt.hi)) {
				t.Errorf("prefixRange(%s) = %x, %x; want %x, %x", tt.prefix, lo, hi,
					key(tt.lo), key(tt.hi))
			}
		})
	}
}

func TestHintAddresses(t *testing.T) {
	tests := []struct {
		data string
		want []string
	}{
		{`1 . alpn="h2,h3" ipv4hint="192.0.2.10" ipv6hint="2001:db8::10"`,
			[]string{"192.0.2.10", "2001:db8::10"}},
		{`1 svc.example. ipv4hint=192.0.2.1,192.0.2.2 port=443`,
			[]string{"192.0.2.1", "192.0.2.2"}},
		// An ipv4hint inside a quoted value is not one.
		{`1 . alpn="x ipv4hint=192.0.2.9" ipv6hint="2001:db8::1,2001:db8::2"`,
			[]string{"2001:db8::1", "2001:db8::2"}},
		{`1 . ipv4hint="2001:db8::1" ipv6hint="192.0.2.1"`, nil}, // wrong families
		{`1 . ipv4hint="300.1.1.1,192.0.2.1"`, []string{"192.0.2.1"}},
		{`0 alias.example.`, nil},
		{`\# 3 000000`, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range hintAddresses(tt.data) {
			got = append(got, a.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("hintAddresses(%q) = %q, want %q", tt.data, got, tt.want)
		}
	}
}

// addressKeyOfText is what the SQL function pdnsx_address computes, in Go:
// the address key of the data of an A or AAAA record, or nil when it is not
// an address (an RFC 3597 form, for one).
func addressKeyOfText(data string) []byte {
	a, err := netip.ParseAddr(data)
	if err != nil || a.Zone() != "" {
		return nil
	}
	return AddressKey(a)
}

// sqlAddressKey returns pdnsx_address(data) as the store's SQLite computes it.
func sqlAddressKey(t testing.TB, s *Store, data string) []byte {
	t.Helper()
	var key []byte
	err := s.conn.QueryRowContext(context.Background(), "SELECT "+addressFunc+"(?)",
		data).Scan(&key)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// addressStore returns a case whose connection has pdnsx_address.
func addressStore(t testing.TB) *Store {
	s := newCase(t)
	err := s.conn.Raw(func(dc any) error { return registerAddressFunc(dc.(*sqlite3.SQLiteConn)) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAddressFunc checks the SQL function pdnsx_address, written in C,
// against the keys netip gives.
func TestAddressFunc(t *testing.T) {
	s := addressStore(t)
	tests := []struct {
		data string
		want []byte
	}{
		{"192.0.2.1", []byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 1}},
		{"2001:db8::1", []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}},
		{"::ffff:192.0.2.1", []byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 1}},
		{"::", make([]byte, 16)},
		{`\# 3 010203`, nil},
		{"fe80::1%eth0", nil},
		{"1.2.3", nil},
		{"1.2.3.4.5", nil},
		{"01.2.3.4", nil},
		{"", nil},
		{"1.2.3.4\x00", nil},
		{strings.Repeat("1", 80), nil},
	}
	for _, tt := range tests {
		if got := sqlAddressKey(t, s, tt.data); !bytes.Equal(got, tt.want) {
			t.Errorf("%s(%q) = %x, want %x", addressFunc, tt.data, got, tt.want)
		}
		if got := addressKeyOfText(tt.data); !bytes.Equal(got, tt.want) {
			t.Errorf("addressKeyOfText(%q) = %x, want %x", tt.data, got, tt.want)
		}
		key, ok := textKey([]byte(tt.data))
		if ok != (tt.want != nil) || ok && !bytes.Equal(key[:], tt.want) {
			t.Errorf("textKey(%q) = %x, %v; want %x", tt.data, key, ok, tt.want)
		}
	}

	// Every address as the decoder writes it, both families.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var a netip.Addr
		if i%2 == 0 {
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), 0, byte(i)})
		} else {
			b := [16]byte{0x20, 0x01, 0x0d, 0xb8}
			for j := 4; j < 16; j++ {
				if rng.IntN(3) > 0 { // runs of zero groups, compressed as ::
					b[j] = byte(rng.Uint32())
				}
			}
			a = netip.AddrFrom16(b)
		}
		if got := sqlAddressKey(t, s, a.String()); !bytes.Equal(got, AddressKey(a)) {
			t.Fatalf("%s(%q) = %x, want %x", addressFunc, a, got, AddressKey(a))
		}
	}
}

// FuzzAddressFunc checks that pdnsx_address, written in C, gives netip's key
// for every address text in the form netip prints, and nothing but a key
// of some address otherwise.
func FuzzAddressFunc(f *testing.F) {
	for _, seed := range []string{"192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4", "1::", `\# 0`} {
		f.Add(seed)
	}
	s := addressStore(f)
	f.Fuzz(func(t *testing.T, data string) {
		got := sqlAddressKey(t, s, data)
		a, err := netip.ParseAddr(data)
		if err == nil && a.Zone() == "" && a.String() == data {
			if !bytes.Equal(got, AddressKey(a)) {
				t.Errorf("%s(%q) = %x, want %x", addressFunc, data, got, AddressKey(a))
			}
			return
		}
		if got != nil && len(got) != 16 {
			t.Errorf("%s(%q) = %x, not a key", addressFunc, data, got)
		}
	})
}

// FuzzHintAddresses checks that the addresses found in any record data
// are valid and survive a round trip: written back as the ipv4hint and
// ipv6hint of an HTTPS record, as miekg/dns prints them, they are found
// again in the same order. The seeds are in testdata/fuzz/FuzzHintAddresses.
func FuzzHintAddresses(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		var v4, v6 []string
		for _, a := range hintAddresses(data) {
			if !a.IsValid() || a.Zone() != "" {
				t.Fatalf("hintAddresses(%q) returned %v", data, a)
			}
			if a.Is4() {
				v4 = append(v4, a.String())
			} else {
				v6 = append(v6, a.String())
			}
		}
		again := `1 . alpn="h2"`
		if len(v4) > 0 {
			again += ` ipv4hint="` + strings.Join(v4, ",") + `"`
		}
		if len(v6) > 0 {
			again += ` ipv6hint="` + strings.Join(v6, ",") + `"`
		}
		var got []string
		for _, a := range hintAddresses(again) {
			got = append(got, a.String())
		}
		if want := append(v4, v6...); !slices.Equal(got, want) {
			t.Errorf("round trip of %q through %q: %q, want %q", data, again, got, want)
		}
	})
}

package dnsextract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"pdnsx/internal/capgen"
	"pdnsx/pcapread"
)

// This file holds the DNS messages crafted against decoders (compression
// loops, stray pointers, label and name length violations, lying counts,
// extreme but legal records) as unit tests, and the fuzz targets
// FuzzMessage and FuzzFrame with their seed corpora.

var (
	hostileClient = netip.MustParseAddrPort("192.0.2.7:40000")
	hostileServer = netip.MustParseAddrPort("198.51.100.53:53")
)

// dnsHeader returns a 12-byte DNS header with ID 0x4242.
func dnsHeader(flags, qd, an, ns, ar uint16) []byte {
	h := []byte{0x42, 0x42}
	for _, v := range []uint16{flags, qd, an, ns, ar} {
		h = binary.BigEndian.AppendUint16(h, v)
	}
	return h
}

// wireName returns the labels of a dotted name and the root.
func wireName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// repeatLabels returns n labels of size octets, without the root.
func repeatLabels(n, size int) []byte {
	var b []byte
	for range n {
		b = append(b, byte(size))
		b = append(b, bytes.Repeat([]byte{'x'}, size)...)
	}
	return b
}

// rr returns a resource record with owner name owner (wire form).
func rr(owner []byte, typ, class uint16, ttl uint32, rdata []byte) []byte {
	b := append([]byte(nil), owner...)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
	return append(b, rdata...)
}

// question is "q.example. A IN" in wire form.
var question = append(wireName("q.example."), 0, 1, 0, 1)

// toQName is a compression pointer to the question's name.
var toQName = []byte{0xc0, 0x0c}

// msg concatenates the parts of a message.
func msg(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// pointerChain returns a query whose name is reached through n compression
// pointers, each pointing to the next, the last to the name "x.".
func pointerChain(n int) []byte {
	b := msg(dnsHeader(0x0100, 1, 0, 0, 0))
	first := len(b) + 2 + 4 // after the question's pointer, type and class
	b = append(b, 0xc0|byte(first>>8), byte(first))
	b = append(b, 0, 1, 0, 1)
	for i := 1; i < n; i++ {
		next := len(b) + 2
		b = append(b, 0xc0|byte(next>>8), byte(next))
	}
	return append(b, 1, 'x', 0)
}

// hostileCase is a crafted payload and what the Extractor must make of it.
type hostileCase struct {
	name    string
	payload []byte
	reason  string // in the malformed reason; "" when the payload decodes whole
	lookup  bool   // the question decoded: a lookup is kept
	records int    // records of that lookup
}

// hostileCases returns the crafted payloads, one per kind of attack.
func hostileCases() []hostileCase {
	query := func(name []byte) []byte {
		return msg(dnsHeader(0x0100, 1, 0, 0, 0), name, []byte{0, 1, 0, 1})
	}
	response := func(an, ns, ar uint16, records ...[]byte) []byte {
		return msg(dnsHeader(0x8180, 1, an, ns, ar), question, msg(records...))
	}
	a := []byte{192, 0, 2, 1}
	hugeTXT := bytes.Repeat(append([]byte{255}, bytes.Repeat([]byte{'t'}, 255)...), 250)
	link := func(i int) []byte { // "cI.q.example." through a pointer
		l := "c" + strconv.Itoa(i)
		return append(append([]byte{byte(len(l))}, l...), toQName...)
	}
	chain := make([][]byte, 0, 2001)
	for i := range 2000 { // c0.q.example. -> c1.q.example. -> ...
		chain = append(chain, rr(link(i), 5, 1, 60, link(i+1)))
	}
	var bitmap []byte // every type: 256 windows of 32 octets
	for w := range 256 {
		bitmap = append(append(bitmap, byte(w), 32), bytes.Repeat([]byte{0xff}, 32)...)
	}
	nsec3 := msg([]byte{1, 0, 0, 0, 0, 20}, bytes.Repeat([]byte{0x5a}, 20), bitmap)
	longName := repeatLabels(3, 63)
	longName = append(longName, repeatLabels(1, 61)...) // 254 octets before the root

	return []hostileCase{
		{"empty payload", nil, "shorter than the 12-byte header", false, 0},
		{"shorter than a header", []byte("GET /"), "shorter than the 12-byte header", false, 0},
		{"header alone, question promised", dnsHeader(0x0100, 1, 0, 0, 0), "question 1",
			false, 0},
		{"pointer to itself", query([]byte{0xc0, 0x0c}), "too many compression pointers",
			false, 0},
		{"two pointers in a loop", msg(dnsHeader(0x0100, 1, 0, 0, 0),
			[]byte{0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1}), "too many compression pointers",
			false, 0},
		{"126 chained pointers", pointerChain(126), "", true, 0},
		{"127 chained pointers", pointerChain(127), "too many compression pointers", false, 0},
		{"pointer out of range", query([]byte{0xff, 0xff}), "question 1", false, 0},
		{"pointer cut after its first byte", msg(dnsHeader(0x0100, 1, 0, 0, 0),
			[]byte{0xc0}), "question 1", false, 0},
		{"forward pointer", msg(query([]byte{0xc0, 0x12}), wireName("fwd.")), "", true, 0},
		// Flags 0x0100 and the first byte of QDCOUNT read as the name "\000.".
		{"pointer into the header", query([]byte{0xc0, 0x02}), "", true, 0},
		{"label of 63 octets", query(append(repeatLabels(1, 63), 0)), "", true, 0},
		{"label of 64 octets (extended label type)", query(append(repeatLabels(1, 64), 0)),
			"reserved label type", false, 0},
		{"label type 10", query([]byte{0x80, 0x01, 'x', 0}), "reserved label type", false, 0},
		{"name of 255 octets", query(append(longName, 0)), "", true, 0},
		{"name of 256 octets", query(append(append(repeatLabels(3, 63),
			repeatLabels(1, 62)...), 0)), "name longer than 255 octets", false, 0},
		{"name growing through a pointer loop", query(append(longName, 0xc0, 0x0c)),
			"name longer than 255 octets", false, 0},
		{"label past the end", query([]byte{63, 'a', 'b'}), "question 1", false, 0},
		{"65535 questions, one present", msg(dnsHeader(0x0100, 0xffff, 0, 0, 0), question),
			"question 2", true, 0},
		{"no question, one answer", msg(dnsHeader(0x8180, 0, 1, 0, 0),
			rr(wireName("a.example."), 1, 1, 60, a)), "", true, 1},
		{"65535 answers, one present", response(0xffff, 0, 0, rr(toQName, 1, 1, 60, a)),
			"answer 2", true, 1},
		{"every count 65535, nothing present", response(0xffff, 0xffff, 0xffff),
			"answer 1", true, 0},
		{"record data length past the end", response(1, 0, 0,
			rr(toQName, 1, 1, 60, a)[:12]), "answer 1", true, 0},
		{"A record of 5 octets", response(1, 0, 0, rr(toQName, 1, 1, 60, append(a, 9))),
			"answer 1", true, 0},
		{"CNAME pointing at itself", response(1, 0, 0, rr(toQName, 5, 1, 60, []byte{0xc0,
			byte(len(dnsHeader(0, 0, 0, 0, 0)) + len(question) + 12)})),
			"too many compression pointers", true, 0},
		{"TXT string past its record", response(1, 0, 0, rr(toQName, 16, 1, 60,
			append([]byte{200}, "short"...))), "answer 1", true, 0},
		{"TXT of 250 strings of 255 octets", response(1, 0, 0,
			rr(toQName, 16, 1, 60, hugeTXT)), "", true, 1},
		{"TXT of 65000 empty strings", response(1, 0, 0,
			rr(toQName, 16, 1, 60, make([]byte, 65000))), "", true, 1},
		{"unknown type and class", response(2, 0, 0,
			rr(toQName, 65534, 1, 60, []byte{0xde, 0xad}),
			rr(toQName, 1, 65280, 60, a)), "", true, 2},
		{"CNAME chain of 2000 links", response(2001, 0, 0, append(chain,
			rr(link(2000), 1, 1, 60, a))...), "", true, 2001},
		{"5000 records owned by a 255-octet name", msg(dnsHeader(0x8180, 1, 5000, 0, 0),
			append(longName, 0), []byte{0, 1, 0, 1}, bytes.Repeat(rr(toQName, 65280, 1, 60,
				nil), 5000)), "", true, 5000},
		{"HIP with 20000 rendezvous pointers to a 255-octet name", msg(
			dnsHeader(0x8180, 1, 1, 0, 0), append(longName, 0), []byte{0, 1, 0, 1},
			rr(toQName, 55, 1, 60, append([]byte{1, 2, 0, 1, 0xaa, 0xbb},
				bytes.Repeat(toQName, 20000)...))), "", true, 1},
		{"NSEC listing all 65536 types", response(1, 0, 0,
			rr(toQName, 47, 1, 60, append([]byte{0}, bitmap...))), "", true, 1},
		{"NSEC3 listing all 65536 types", response(1, 0, 0, rr(toQName, 50, 1, 60, nsec3)),
			"", true, 1},
		{"CSYNC listing all 65536 types", response(1, 0, 0, rr(toQName, 62, 1, 60,
			append([]byte{0, 0, 0, 1, 0, 3}, bitmap...))), "", true, 1},
		{"EDNS option longer than the OPT record", response(0, 0, 1,
			rr([]byte{0}, 41, 1232, 0, []byte{0, 8, 0, 40, 1, 2})), "", true, 0},
	}
}

// hostileFrame returns a raw IPv4 frame of a UDP datagram carrying payload
// from the client to the DNS server, or back for a response.
func hostileFrame(payload []byte) []byte {
	src, dst := hostileClient, hostileServer
	if len(payload) > 2 && payload[2]&0x80 != 0 {
		src, dst = dst, src
	}
	return ipv4Packet(src.Addr(), dst.Addr(), 17, 1, 0, false,
		udpDatagram(src.Port(), dst.Port(), payload))
}

// extractOne feeds payload as frame 7 of capture 0 to a new Extractor,
// closes it and returns what it reported, failing t if that takes long.
func extractOne(t testing.TB, payload []byte) (*collector, Stats) {
	t.Helper()
	c := &collector{}
	x := New(Config{}, c)
	start := time.Now()
	data := hostileFrame(payload)
	x.Frame(0, &pcapread.Frame{Number: 7, Time: testBase, LinkType: linkRawIP, Data: data,
		OrigLen: len(data)})
	x.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("payload of %d bytes took %v", len(payload), d)
	}
	return c, x.Stats()
}

// TestHostileMessages checks each crafted payload: it is reported as
// malformed with its frame, or decoded, and a lookup is kept whenever its
// question could be read.
func TestHostileMessages(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, stats := extractOne(t, tc.payload)
			checkMalformed(t, c, tc)

			if got := len(c.lookups); got != btoi(tc.lookup) {
				t.Fatalf("%d lookups, want %d", got, btoi(tc.lookup))
			}
			if !tc.lookup {
				return
			}
			m := c.lookups[0].Query
			if m == nil {
				m = c.lookups[0].Response
			}
			if len(m.Records) != tc.records {
				t.Errorf("%d records, want %d", len(m.Records), tc.records)
			}
			if len(m.Frames) != 1 || m.Frames[0] != (FrameRef{0, 7}) {
				t.Errorf("message frames %v, want capture 0 frame 7", m.Frames)
			}
			if stats.Records != int64(len(m.Records)) && m.Response {
				t.Errorf("Stats.Records = %d, lookup holds %d", stats.Records, len(m.Records))
			}
		})
	}
}

// checkMalformed checks the malformed report of a crafted payload.
func checkMalformed(t *testing.T, c *collector, tc hostileCase) {
	t.Helper()
	if tc.reason == "" {
		if len(c.malformed) != 0 {
			t.Fatalf("reported malformed: %s", c.malformed[0].Reason)
		}
		return
	}
	if len(c.malformed) != 1 {
		t.Fatalf("%d malformed reports, want 1 saying %q", len(c.malformed), tc.reason)
	}
	m := c.malformed[0]
	if !strings.Contains(m.Reason, tc.reason) {
		t.Errorf("reason %q, want %q", m.Reason, tc.reason)
	}
	if len(m.Frames) != 1 || m.Frames[0] != (FrameRef{0, 7}) {
		t.Errorf("malformed frames %v, want capture 0 frame 7", m.Frames)
	}
	if !bytes.Equal(m.Payload, tc.payload) {
		t.Errorf("malformed payload of %d bytes, want the %d sent", len(m.Payload),
			len(tc.payload))
	}
}

// TestHostileTextBounded checks that the presentation text of a message
// stays within a small multiple of its wire size: names reached through
// pointers must not multiply it.
func TestHostileTextBounded(t *testing.T) {
	for _, tc := range hostileCases() {
		c, _ := extractOne(t, tc.payload)
		if n, bound := presentationBytes(c), textBound(len(tc.payload)); n > bound {
			t.Errorf("%s: %d bytes of text from %d bytes of wire, bound %d", tc.name, n,
				len(tc.payload), bound)
		}
	}
}

// presentationBytes sums the lengths of every name and record data string
// reported, counting a string shared by several records once per record.
func presentationBytes(c *collector) int {
	n := 0
	for _, l := range c.lookups {
		for _, m := range []*Message{l.Query, l.Response} {
			if m == nil {
				continue
			}
			n += len(m.QName)
			for _, r := range m.Records {
				n += len(r.Name) + len(r.Data)
			}
		}
	}
	return n
}

// textBound is the most presentation text a payload of n bytes may give:
// a name of up to 255 octets (1,020 characters with every octet escaped)
// for every two bytes, which is what a list of compression pointers in the
// data of a HIP record costs, plus every octet escaped once. The bound is
// loose, but linear: what it rules out is text that grows faster than the
// payload.
func textBound(n int) int {
	return (n/2+2)*1020 + 4*n
}

// TestListDataMatchesMiekg checks that the records rdata formats itself
// (those whose miekg/dns String is quadratic) read as miekg/dns prints them.
func TestListDataMatchesMiekg(t *testing.T) {
	for _, text := range []string{
		`a.example. 60 IN NSEC b\.c.example. A NS SOA MX TXT AAAA RRSIG NSEC TYPE65534`,
		`a.example. 60 IN NSEC \009tab.example.`,
		`a.example. 60 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG`,
		`a.example. 60 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s`,
		`a.example. 60 IN CSYNC 66 3 A NS AAAA`,
		`a.example. 60 IN HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPC ` +
			`rvs1.example. r\ vs2.example. \(x\).example.`,
		`a.example. 60 IN HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPC`,
	} {
		r, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		got, ok := listData(r)
		want := afterHeader(r.String())
		if !ok || got != want {
			t.Errorf("%s:\n got %q (%v)\nwant %q", text, got, ok, want)
		}
	}
	if _, ok := listData(&dns.A{}); ok {
		t.Error("listData formats an A record")
	}
}

// FuzzMessage feeds an arbitrary payload on UDP port 53 through an
// Extractor: it must not panic or stall, must report the payload as a
// lookup, as malformed or both, must keep at most one record per 11
// bytes, and must keep the text it makes within textBound.
func FuzzMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 65507 {
			payload = payload[:65507] // the largest UDP payload IPv4 carries
		}
		c, stats := extractOne(t, payload)

		if len(c.lookups)+len(c.malformed) == 0 {
			t.Fatal("payload neither decoded nor reported malformed")
		}
		if len(c.lookups) > 1 || len(c.malformed) > 1 {
			t.Fatalf("one payload gave %d lookups and %d malformed reports", len(c.lookups),
				len(c.malformed))
		}
		if stats.Lookups != int64(len(c.lookups)) || stats.Malformed != int64(len(c.malformed)) {
			t.Fatalf("stats %+v disagree with %d lookups, %d malformed", stats,
				len(c.lookups), len(c.malformed))
		}
		for _, m := range c.malformed {
			if !bytes.Equal(m.Payload, payload) {
				t.Fatalf("malformed payload of %d bytes, sent %d", len(m.Payload), len(payload))
			}
		}
		if stats.Records > int64(len(payload)/11) {
			t.Fatalf("%d records from %d bytes", stats.Records, len(payload))
		}
		if n := presentationBytes(c); n > textBound(len(payload)) {
			t.Fatalf("%d bytes of text from %d bytes", n, len(payload))
		}
	})
}

// FuzzFrame feeds an arbitrary frame of an arbitrary link type twice (as
// frames 1 and 2, which exercises pairing, retransmission and overlapping
// fragments) through an Extractor: it must not panic, must count what it
// reports, and every report must refer to those two frames only.
func FuzzFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		c := &collector{}
		x := New(Config{}, c)
		for n := int64(1); n <= 2; n++ {
			x.Frame(0, &pcapread.Frame{Number: n, Time: testBase.Add(time.Duration(n)),
				LinkType: pcapread.LinkType(link), Data: data, OrigLen: len(data)})
		}
		x.Close()
		stats := x.Stats()

		if stats.Frames != 2 || stats.Lookups != int64(len(c.lookups)) ||
			stats.Malformed != int64(len(c.malformed)) {
			t.Fatalf("stats %+v disagree with %d lookups, %d malformed", stats,
				len(c.lookups), len(c.malformed))
		}
		for _, l := range c.lookups {
			for _, m := range []*Message{l.Query, l.Response} {
				if m != nil {
					checkFuzzMessage(t, m, len(data))
				}
			}
		}
		for _, m := range c.malformed {
			checkFrameRefs(t, m.Frames)
			if len(m.Payload) > 2*len(data) {
				t.Fatalf("malformed payload of %d bytes from two frames of %d",
					len(m.Payload), len(data))
			}
		}
	})
}

// checkFuzzMessage checks a message found in two frames of size bytes.
func checkFuzzMessage(t *testing.T, m *Message, size int) {
	t.Helper()
	checkFrameRefs(t, m.Frames)
	if m.Size > 2*size {
		t.Fatalf("message of %d bytes from two frames of %d", m.Size, size)
	}
	if len(m.Records) > m.Size/11 {
		t.Fatalf("%d records in a message of %d bytes", len(m.Records), m.Size)
	}
}

// checkFrameRefs fails unless refs name frames 1 or 2 of capture 0.
func checkFrameRefs(t *testing.T, refs []FrameRef) {
	t.Helper()
	if len(refs) == 0 {
		t.Fatal("a report without frames")
	}
	for _, r := range refs {
		if r.Capture != 0 || r.Frame < 1 || r.Frame > 2 {
			t.Fatalf("report refers to %+v, fed frames 0:1 and 0:2", r)
		}
	}
}

// frameSeedScenarios are the capgen scenarios whose frames seed FuzzFrame:
// every link type the decoder reads, fragments, TCP and crafted DNS.
var frameSeedScenarios = []string{
	"pcap-us-le", "vlan", "qinq", "sll", "sll2", "raw-ipv4", "raw-dlt228",
	"raw-ipv6-229", "raw-dlt12", "raw-dlt14", "null-loopback", "null-loopback-be",
	"ipv6-ext-headers", "ipv4-options", "mdns", "llmnr", "tcp-two-in-one", "ipv4-frags",
	"ipv6-frags", "hostile-names", "hostile-records", "malformed-dns",
}

// Bounds of the seed corpora, so that they stay small and the fuzzer fast:
// the crafted type bitmaps (9 kB, tens of milliseconds each) and the large
// TXT records are left to TestHostileMessages; FuzzFrame takes the first
// frames of each scenario.
const (
	maxSeedPayload = 4096
	maxSeedFrame   = 2048
	maxSeedFrames  = 4
)

// fuzzSeeds returns the seed corpus files of FuzzMessage and FuzzFrame:
// file name and content, in the go tool's corpus format.
func fuzzSeeds(t *testing.T) map[string]string {
	t.Helper()
	seeds := make(map[string]string)
	for _, tc := range hostileCases() {
		if len(tc.payload) > maxSeedPayload {
			continue
		}
		name := filepath.Join("FuzzMessage", strings.NewReplacer(" ", "-", ",", "", "(", "",
			")", "").Replace(tc.name))
		seeds[name] = fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n",
			strconv.Quote(string(tc.payload)))
	}
	for _, scenario := range frameSeedScenarios {
		sc, ok := capgen.Lookup(scenario)
		if !ok {
			t.Fatalf("no capgen scenario %s", scenario)
		}
		frames, err := sc.Frames()
		if err != nil {
			t.Fatal(err)
		}
		for i, fr := range frames {
			if len(fr.Data) > maxSeedFrame || i >= maxSeedFrames {
				continue
			}
			name := filepath.Join("FuzzFrame", fmt.Sprintf("%s-%d", scenario, i+1))
			seeds[name] = fmt.Sprintf("go test fuzz v1\nuint16(%d)\n[]byte(%s)\n",
				fr.LinkType, strconv.Quote(string(fr.Data)))
		}
	}
	return seeds
}

// TestFuzzSeeds checks that testdata/fuzz/FuzzMessage holds every crafted
// payload and testdata/fuzz/FuzzFrame the frames of frameSeedScenarios,
// as written today; -update rewrites them.
func TestFuzzSeeds(t *testing.T) {
	for name, want := range fuzzSeeds(t) {
		path := filepath.Join("testdata", "fuzz", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s: seed missing or out of date (%v); run go test ./dnsextract "+
				"-run TestFuzzSeeds -update", path, err)
		}
	}
}

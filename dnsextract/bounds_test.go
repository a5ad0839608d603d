package dnsextract

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"pdnsx/pcapread"
)

// This file checks that an Extractor's memory stays bounded on frames
// crafted to grow its state: fragments of datagrams never completed,
// half-open TCP streams, queries never answered, responses never asked for,
// and the extremes of what each limit counts (tiny segments, huge records,
// distinct names and encapsulations, one transaction repeated). Every flood
// comes within 20 s of capture time, inside the opening window where an
// Extractor holds back what a Carry may need, so that nothing expires by
// time. Each flood is checked three ways: the Go heap in use stays under a
// bound computed from the limits; it is about the same after the whole
// flood as after its first half, the limits being reached before; and what
// was evicted was reported, as malformed payloads or lookups, so that
// nothing is silently lost.

// Memory, in bytes, that the bounds below allow for each item a limit
// counts. They are measured costs rounded up: a stream with its map entry,
// buffer and spans takes about 1 KiB; a datagram about 500 bytes besides
// its fragments, and a fragment about 90 bytes besides its data.
const (
	streamBound   = 1 << 10
	datagramBound = 1 << 10
	fragmentBound = 128
	boundSlack    = 24 << 20 // decoders, interned strings, the runtime's own
)

// tcpBound is the heap an Extractor's TCP streams may take: their
// bookkeeping and the bytes they buffer.
func tcpBound(l tcpLimits) int64 {
	return int64(l.streams)*streamBound + int64(l.bytes)
}

// fragBound is the heap the fragments may take: those in the table and as
// many handed over from the opening window. A fragment of 8 bytes, the
// smallest, takes at most 8+fragmentBound, and the byte limits must count
// at least 8+96 for it (fragPartCost), whatever the constant says.
func fragBound(l fragLimits) int64 {
	perTable := int64(l.datagrams)*datagramBound + int64(l.bytes)*(8+fragmentBound)/(8+96)
	return 2 * perTable
}

// headBound is the heap the stream heads of the opening window may take: their
// accounted memory, with room for slices grown by doubling.
const headBound = 2 * maxHeadTotalBytes

// pendingBound is the heap the messages waiting to be paired may take, and as
// many held back in the opening window, with a quarter for the estimate.
func pendingBound(maxPending int) int64 {
	return 2 * int64(maxPending) * pendingWeight * 5 / 4
}

// cacheBound is the heap of the interned names and record data: their bytes,
// and the maps.
const cacheBound = 2*maxCacheBytes + 2*maxInterned*64

// boundSink counts what an Extractor reports and keeps none of it.
type boundSink struct {
	kinds        [Unpaired + 1]int64
	malformed    int64
	payloadBytes int64            // bytes of the malformed payloads
	reasons      map[string]int64 // malformed reasons, up to their first digit
}

func newBoundSink() *boundSink { return &boundSink{reasons: make(map[string]int64)} }

func (s *boundSink) Lookup(l *Lookup) { s.kinds[l.Kind()]++ }

func (s *boundSink) Malformed(m *Malformed) {
	s.malformed++
	s.payloadBytes += int64(len(m.Payload))
	reason := m.Reason
	if i := strings.IndexAny(reason, "0123456789"); i >= 0 {
		reason = reason[:i] // the reasons fall into a few classes
	}
	s.reasons[reason]++
}

// reasonCount returns how many malformed reasons contain part before their
// first digit.
func (s *boundSink) reasonCount(part string) int64 {
	var n int64
	for r, c := range s.reasons {
		if strings.Contains(r, part) {
			n += c
		}
	}
	return n
}

// flood feeds crafted frames to an Extractor, spaced step apart.
type flood struct {
	x    *Extractor
	n    int64
	at   time.Time
	step time.Duration
}

// feed feeds a raw IP packet.
func (f *flood) feed(pkt []byte) { f.feedLink(linkRawIP, pkt) }

// feedLink feeds a frame of the given link type.
func (f *flood) feedLink(link pcapread.LinkType, data []byte) {
	f.n++
	f.at = f.at.Add(f.step)
	f.x.Frame(0, &pcapread.Frame{
		Number: f.n, Time: f.at, LinkType: link, Data: data, OrigLen: len(data),
	})
}

// Addresses and ports of the floods: a distinct client per item, never on
// a DNS port.
var floodServer = netip.MustParseAddr("198.51.100.53")

func floodClient(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func floodPort(i int) uint16 { return uint16(10000 + i%50000) }

// floodCase is a flood and what it must leave behind.
type floodCase struct {
	name   string
	items  int
	frames int // frames per item
	cfg    Config
	tune   func(x *Extractor) // lowers limits, or nil
	item   func(f *flood, i int)
	bound  func(x *Extractor) int64
	// flat is how much more live heap the whole flood may leave than its
	// first half, besides a quarter (a Go map that has seen many deletions
	// may double once more, after the limits are reached) and 4 MiB: caches
	// that restart when full fluctuate by their size.
	flat int64
	// check runs on what was reported before Close (before) and in all
	// (after), for n items.
	check func(t *testing.T, x *Extractor, n int64, before, after *boundSink)
}

// heapUse is the heap after a collection: the bytes of its spans in use,
// which the bounds are checked against, and of its live objects, which show
// growth without the noise of fragmentation.
type heapUse struct{ inUse, live int64 }

// measureHeap collects garbage and measures the heap.
func measureHeap() heapUse {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapUse{int64(ms.HeapInuse), int64(ms.HeapAlloc)}
}

// sub returns the growth of the heap since base.
func (h heapUse) sub(base heapUse) heapUse {
	return heapUse{h.inUse - base.inUse, h.live - base.live}
}

const mib = 1 << 20

// floodSpan is the capture time a flood takes: less than the default
// PairTimeout, so that it all falls in the opening window and nothing
// expires.
const floodSpan = 20 * time.Second

// runFlood feeds the flood and checks the heap at its half and at its end.
// With -short, it feeds an eighth of the items and checks only what was
// reported and the state's own bounds.
func runFlood(t *testing.T, tc floodCase) {
	n := tc.items
	if testing.Short() {
		n /= 8
	}
	base := measureHeap()
	sink := newBoundSink()
	x := New(tc.cfg, sink)
	if tc.tune != nil {
		tc.tune(x)
	}
	f := &flood{x: x, at: testBase, step: floodSpan / time.Duration(n*tc.frames)}

	var half heapUse
	for i := range n {
		tc.item(f, i)
		if i+1 == n/2 {
			half = measureHeap().sub(base)
			checkState(t, x)
		}
	}
	full := measureHeap().sub(base)
	checkState(t, x)
	if !testing.Short() {
		checkHeap(t, tc, x, half, full)
	}

	before := *sink
	before.reasons = make(map[string]int64)
	for r, c := range sink.reasons {
		before.reasons[r] = c
	}
	x.Close()
	checkState(t, x)
	tc.check(t, x, int64(n), &before, sink)
}

// checkHeap checks the heap after half the flood and after all of it.
func checkHeap(t *testing.T, tc floodCase, x *Extractor, half, full heapUse) {
	t.Helper()
	bound := tc.bound(x)
	t.Logf("%d items: heap in use %d MiB after half, %d MiB after all (bound %d MiB); "+
		"live %d and %d MiB", tc.items, half.inUse/mib, full.inUse/mib, bound/mib,
		half.live/mib, full.live/mib)
	if peak := max(half.inUse, full.inUse); peak > bound {
		t.Errorf("heap in use grew by %d MiB, want at most %d MiB", peak/mib, bound/mib)
	}
	if full.live > half.live+half.live/4+4*mib+tc.flat {
		t.Errorf("live heap: %d MiB after all, %d MiB after half; want flat",
			full.live/mib, half.live/mib)
	}
}

// checkState checks that the Extractor's state is within its limits and that
// its counts add up.
func checkState(t *testing.T, x *Extractor) {
	t.Helper()
	tcp := &x.tcp
	bytes, segments := 0, 0
	for s := tcp.front; s != nil; s = s.next {
		bytes += s.buffered() + s.oooLen
		segments += len(s.spans) + len(s.ooo)
	}
	if bytes != tcp.bytes || segments != tcp.segments {
		t.Fatalf("TCP counts %d bytes in %d segments, holds %d in %d", tcp.bytes,
			tcp.segments, bytes, segments)
	}
	if tcp.memory() > tcp.limits.bytes || tcp.n > tcp.limits.streams {
		t.Errorf("TCP holds %d bytes in %d segments of %d streams, over %+v", tcp.bytes,
			tcp.segments, tcp.n, tcp.limits)
	}

	e, frags := &x.edges, &x.frags
	if len(e.datagrams) > frags.limits.datagrams || e.dgBytes > frags.limits.bytes {
		t.Errorf("%d datagrams of %d bytes handed over, over %+v", len(e.datagrams),
			e.dgBytes, frags.limits)
	}
	if e.headBytes > maxHeadTotalBytes {
		t.Errorf("stream heads take %d bytes, over %d", e.headBytes, maxHeadTotalBytes)
	}

	p := x.pairs
	if p.count > p.limit || p.weight > p.maxWeight {
		t.Errorf("%d messages weighing %d wait, over %d and %d", p.count, p.weight, p.limit,
			p.maxWeight)
	}
	if len(e.held) > p.limit || e.heldWeight > p.maxWeight+maxMessageWeight {
		t.Errorf("%d messages weighing %d held, over %d and %d", len(e.held), e.heldWeight,
			p.limit, p.maxWeight)
	}
	for key, first := range p.byKey {
		n := 0
		for w := first; w != nil; w = w.next {
			if w.done || w.key != key {
				t.Fatalf("a message paired or of another transaction waits for %+v", key)
			}
			n++
		}
		if n > maxPerTransaction {
			t.Fatalf("%d messages of %+v wait, over %d", n, key, maxPerTransaction)
		}
	}

	w, d := x.wire, x.decoder
	if w.nameBytes > maxCacheBytes || w.rdataBytes > maxCacheBytes ||
		len(w.names) > maxInterned || len(w.rdata) > maxInterned {
		t.Errorf("caches hold %d names of %d bytes and %d record data of %d bytes",
			len(w.names), w.nameBytes, len(w.rdata), w.rdataBytes)
	}
	if len(d.paths) > maxInternedPaths || len(frags.paths) > maxInternedPaths {
		t.Errorf("%d paths and %d fragment paths interned, over %d", len(d.paths),
			len(frags.paths), maxInternedPaths)
	}
}

// maxMessageWeight is the most a message of 65535 bytes can weigh: records
// of 11 bytes.
const maxMessageWeight = messageCost + 1024 + (65535/11)*(recordCost+16)

// Frames of the floods.

// floodPacket is an IPv4 packet between a client and the DNS server,
// patched for each item so that the floods allocate nothing per frame.
type floodPacket struct {
	pkt        []byte
	fromClient bool
	dnsID      bool // a UDP DNS message, whose ID is patched too
}

// forItem returns the packet as client i sends or receives it: with the
// client's address and port, and the message ID i.
func (p *floodPacket) forItem(i int) []byte {
	addr, port := 12, 20
	if !p.fromClient {
		addr, port = 16, 22
	}
	a := floodClient(i).As4()
	copy(p.pkt[addr:], a[:])
	binary.BigEndian.PutUint16(p.pkt[port:], floodPort(i))
	if p.dnsID {
		binary.BigEndian.PutUint16(p.pkt[28:], uint16(i))
	}
	return p.pkt
}

// firstFragments are first fragments, never completed, of UDP datagrams to
// the DNS port, with 200 bytes of DNS payload.
func firstFragments() *floodPacket {
	dgram := udpDatagram(0, portDNS, make([]byte, 400))
	pkt := ipv4Packet(floodClient(0), floodServer, 17, 1, 0, true, dgram[:208])
	return &floodPacket{pkt: pkt, fromClient: true}
}

// tinyFragments are 8-byte fragments, never the first, of UDP datagrams
// that never complete: each datagram, from a client of its own, gets
// tinyPerDatagram of them at successive offsets.
type tinyFragments struct{ pkt []byte }

const tinyPerDatagram = 4096

func newTinyFragments() *tinyFragments {
	return &tinyFragments{pkt: ipv4Packet(floodClient(0), floodServer, 17, 0, 8, true,
		make([]byte, 8))}
}

// forItem returns fragment i: of datagram i/tinyPerDatagram, at offset
// 8*(1+i%tinyPerDatagram).
func (p *tinyFragments) forItem(i int) []byte {
	dgram, part := i/tinyPerDatagram, i%tinyPerDatagram
	a := floodClient(dgram).As4()
	copy(p.pkt[12:], a[:])
	binary.BigEndian.PutUint16(p.pkt[4:], uint16(dgram))
	binary.BigEndian.PutUint16(p.pkt[6:], 0x2000|uint16(1+part))
	return p.pkt
}

// partialMessage is the first 98 bytes of a 300-byte message, with its
// length.
var partialMessage = prefixed(make([]byte, 300))[:100]

// halfOpen are SYNs to the DNS port that carry the start of a message and
// nothing more (as TCP Fast Open allows).
func halfOpen() *floodPacket {
	seg := tcpSegment(0, portDNS, 1000, 0, flagSYN, partialMessage)
	return &floodPacket{pkt: ipv4Packet(floodClient(0), floodServer, 6, 1, 0, false, seg),
		fromClient: true}
}

// midstream are segments of connections whose SYN was not captured: the
// start of a message.
func midstream() *floodPacket {
	seg := tcpSegment(0, portDNS, 5000, 1, flagACK, partialMessage)
	return &floodPacket{pkt: ipv4Packet(floodClient(0), floodServer, 6, 1, 0, false, seg),
		fromClient: true}
}

// floodQueries are queries, each with an ID of its own.
func floodQueries(t testing.TB) *floodPacket {
	dgram := udpDatagram(0, portDNS, testQuery(t, 0, "pending.example."))
	return &floodPacket{pkt: ipv4Packet(floodClient(0), floodServer, 17, 1, 0, false, dgram),
		fromClient: true, dnsID: true}
}

// floodResponses are the response resp sent to clients that did not ask.
func floodResponses(resp []byte) *floodPacket {
	dgram := udpDatagram(portDNS, 0, resp)
	return &floodPacket{pkt: ipv4Packet(floodServer, floodClient(0), 17, 1, 0, false, dgram),
		dnsID: true}
}

// reportedAll checks that the flood's items were all reported by Close, and
// at most lag of them were still held before it.
func reportedAll(t *testing.T, what string, before, after, want, lag int64) {
	t.Helper()
	if after != want {
		t.Errorf("%s: got %d reported in all, want %d", what, after, want)
	}
	if before < want-lag {
		t.Errorf("%s: got %d reported before Close, want at least %d (%d - %d held)", what,
			before, want-lag, want, lag)
	}
}

// share returns how many of n items, dealt in turn to k kinds, the kind i
// gets.
func share(n int64, i, k int) int64 { return (n - int64(i) + int64(k) - 1) / int64(k) }

// TestFloodBounds floods an Extractor with a million crafted items of each
// kind, and with half a million of a mix of them, at the default limits (the
// mix with fewer pending messages, so that it reaches that limit in its
// first half too).
func TestFloodBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("a million frames per flood: skipped with -short")
	}
	frags, syns, joins := firstFragments(), halfOpen(), midstream()
	tiny := newTinyFragments()
	queries := floodQueries(t)
	responses := floodResponses(testResponse(t, 0, "unasked.example.", 1))
	cases := []floodCase{
		{
			name: "fragments", items: 1 << 20, frames: 1,
			item: func(f *flood, i int) { f.feed(frags.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return fragBound(x.frags.limits) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				l := x.frags.limits
				reportedAll(t, "incomplete datagrams", before.malformed, after.malformed, n,
					int64(2*l.datagrams))
				if got, want := after.payloadBytes, n*200; got != want {
					t.Errorf("got %d bytes of payload reported, want %d", got, want)
				}
				if got := after.reasonCount("ip fragments incomplete"); got != n {
					t.Errorf("got %d datagrams reported incomplete, want %d (%v)", got, n,
						after.reasons)
				}
			},
		},
		{
			// 8-byte fragments cost most besides their data: the limits
			// must count what each costs, not its bytes alone.
			name: "tiny fragments", items: 1 << 20, frames: 1,
			item: func(f *flood, i int) { f.feed(tiny.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return fragBound(x.frags.limits) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				if after.malformed != 0 {
					t.Errorf("%d malformed reported, want none: no fragment shows a port",
						after.malformed)
				}
				if got := x.Stats().Skipped[skipFragTimeout.String()]; got != n {
					t.Errorf("%d fragments skipped as incomplete, want %d", got, n)
				}
			},
		},
		{
			name: "half-open streams", items: 1 << 20, frames: 1,
			item: func(f *flood, i int) { f.feed(syns.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return tcpBound(x.tcp.limits) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "incomplete messages", before.malformed, after.malformed, n,
					int64(x.tcp.limits.streams))
				if got := after.reasonCount("tcp: incomplete message"); got != n {
					t.Errorf("got %d messages reported incomplete, want %d (%v)", got, n,
						after.reasons)
				}
			},
		},
		{
			name: "unanswered queries", items: 1 << 20, frames: 1,
			item: func(f *flood, i int) { f.feed(queries.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return pendingBound(x.pairs.limit)/2 + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "unanswered queries", before.kinds[Unanswered],
					after.kinds[Unanswered], n, int64(x.pairs.limit))
				if after.malformed != 0 || after.kinds[Answered] != 0 {
					t.Errorf("got %d malformed and %d answered, want none", after.malformed,
						after.kinds[Answered])
				}
			},
		},
		{
			name: "mix", items: 1 << 19, frames: 1, cfg: Config{MaxPending: 1 << 15},
			item: func(f *flood, i int) {
				kinds := [...]*floodPacket{frags, syns, joins, queries, responses}
				f.feed(kinds[i%5].forItem(i))
			},
			bound: func(x *Extractor) int64 {
				return fragBound(x.frags.limits) + tcpBound(x.tcp.limits) + headBound +
					pendingBound(x.pairs.limit) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				lag := int64(2*x.frags.limits.datagrams + x.tcp.limits.streams +
					maxHeadTotalBytes/headCost)
				malformed := share(n, 0, 5) + share(n, 1, 5) + share(n, 2, 5)
				reportedAll(t, "malformed", before.malformed, after.malformed, malformed, lag)
				reportedAll(t, "unanswered", before.kinds[Unanswered],
					after.kinds[Unanswered], share(n, 3, 5), int64(x.pairs.limit))
				reportedAll(t, "unsolicited", before.kinds[Unsolicited],
					after.kinds[Unsolicited], share(n, 4, 5), 2*int64(x.pairs.limit))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runFlood(t, tc) })
	}
}

// Frames of the extreme floods.

// largeResponse returns a response of n A records, as an amplification
// attack sends them.
func largeResponse(n int) []byte {
	r := msg(dnsHeader(0x8180, 1, uint16(n), 0, 0), question)
	for i := range n {
		r = append(r, rr(toQName, 1, 1, 300, []byte{192, 0, byte(i >> 8), byte(i)})...)
	}
	return r
}

// tinySegments are the one-byte segments of 4096 streams joined without
// their SYN, in turn.
func tinySegments() func(i int) []byte {
	seg := tcpSegment(0, portDNS, 0, 1, flagACK, []byte{0})
	p := &floodPacket{pkt: ipv4Packet(floodClient(0), floodServer, 6, 1, 0, false, seg),
		fromClient: true}
	return func(i int) []byte {
		pkt := p.forItem(i % 4096)
		binary.BigEndian.PutUint32(pkt[24:], uint32(5000+i/4096))
		return pkt
	}
}

// pureAcks are the segments of one stream joined without its SYN: a byte
// first, then acknowledgements alone.
func pureAcks() func(i int) []byte {
	data := ipv4Packet(floodClient(0), floodServer, 6, 1, 0, false,
		tcpSegment(floodPort(0), portDNS, 5000, 1, flagACK, []byte{0}))
	ack := ipv4Packet(floodClient(0), floodServer, 6, 1, 0, false,
		tcpSegment(floodPort(0), portDNS, 5001, 1, flagACK, nil))
	return func(i int) []byte {
		if i == 0 {
			return data
		}
		return ack
	}
}

// exchange returns a query of client i for the question q (in wire form)
// and a response to it with the given answers.
func exchange(i int, q []byte, answers int, records ...[]byte) (query, resp []byte) {
	id := uint16(i)
	query = msg(dnsHeader(0x0100, 1, 0, 0, 0), q)
	resp = msg(append(dnsHeader(0x8180, 1, uint16(answers), 0, 0), q...), msg(records...))
	binary.BigEndian.PutUint16(query, id)
	binary.BigEndian.PutUint16(resp, id)
	c := floodClient(i)
	query = ipv4Packet(c, floodServer, 17, 1, 0, false, udpDatagram(floodPort(i), portDNS, query))
	resp = ipv4Packet(floodServer, c, 17, 1, 0, false, udpDatagram(portDNS, floodPort(i), resp))
	return query, resp
}

// distinctBytes returns n bytes made from i, most of which print escaped.
func distinctBytes(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(i*7 + k*13)
	}
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

// txtExchange returns a lookup of client i answered by a TXT record of 500
// distinct bytes.
func txtExchange(i int) (query, resp []byte) {
	txt := distinctBytes(i, 502)
	txt[0], txt[251] = 250, 250
	return exchange(i, question, 1, rr(toQName, 16, 1, 300, txt))
}

// longNameExchange returns a lookup of client i for a name of 250 octets on
// the wire, most of which print escaped: about 900 characters.
func longNameExchange(i int) (query, resp []byte) {
	var name []byte
	for l := range 4 {
		label := distinctBytes(i+l, 61)
		for k := range label {
			label[k] |= 0x80 // printed \DDD
		}
		if l == 0 {
			copy(label, itoa(i)) // tells the names apart
		}
		name = append(append(name, 61), label...)
	}
	name = append(name, 0, 0, 1, 0, 1)
	return exchange(i, name, 0)
}

// vlanFragments are first fragments on Ethernet with two VLAN tags that
// differ from one frame to the next.
func vlanFragments() func(i int) []byte {
	frags := firstFragments()
	frame := make([]byte, 22, 22+len(frags.pkt))
	copy(frame[12:], []byte{0x88, 0xa8, 0, 0, 0x81, 0x00, 0, 0, 0x08, 0x00})
	return func(i int) []byte {
		binary.BigEndian.PutUint16(frame[14:], uint16(i>>12)&0x0fff)
		binary.BigEndian.PutUint16(frame[18:], uint16(i)&0x0fff)
		return append(frame[:22], frags.forItem(i)...)
	}
}

// TestFloodExtremes floods an Extractor with what each limit has to count
// beyond plain items: messages of thousands of records, streams of one-byte
// segments, acknowledgements, distinct record data, names and
// encapsulations, and one transaction repeated.
func TestFloodExtremes(t *testing.T) {
	unasked := floodResponses(testResponse(t, 0, "unasked.example.", 1))
	large := floodResponses(largeResponse(600))
	sameQuery := floodQueries(t).forItem(7)
	tiny, acks, vlans := tinySegments(), pureAcks(), vlanFragments()
	lowTCP := func(x *Extractor) { x.tcp.limits.bytes = 8 << 20 }

	cases := []floodCase{
		{
			name: "unsolicited responses", items: 1 << 17, frames: 1,
			cfg:  Config{MaxPending: 1 << 14},
			item: func(f *flood, i int) { f.feed(unasked.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return pendingBound(x.pairs.limit) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "unsolicited", before.kinds[Unsolicited],
					after.kinds[Unsolicited], n, 2*int64(x.pairs.limit))
			},
		},
		{
			name: "responses of 600 records", items: 1 << 10, frames: 1,
			cfg:  Config{MaxPending: 1 << 10},
			item: func(f *flood, i int) { f.feed(large.forItem(i)) },
			bound: func(x *Extractor) int64 {
				return pendingBound(x.pairs.limit) + 2*maxMessageWeight + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				held := x.pairs.maxWeight / (messageCost + 600*recordCost)
				reportedAll(t, "unsolicited", before.kinds[Unsolicited],
					after.kinds[Unsolicited], n, 2*int64(held+1))
				if got, want := x.Stats().Records, n*600; got != want || after.malformed != 0 {
					t.Errorf("got %d records and %d malformed, want %d and none", got,
						after.malformed, want)
				}
			},
		},
		{
			name: "streams of one-byte segments", items: 600_000, frames: 1, tune: lowTCP,
			item: func(f *flood, i int) { f.feed(tiny(i)) },
			bound: func(x *Extractor) int64 {
				return headBound + tcpBound(x.tcp.limits) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				if after.payloadBytes != n {
					t.Errorf("got %d bytes reported as skipped, want %d", after.payloadBytes, n)
				}
			},
		},
		{
			name: "acknowledgements", items: 600_000, frames: 1,
			item:  func(f *flood, i int) { f.feed(acks(i)) },
			bound: func(*Extractor) int64 { return headBound + boundSlack },
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				if after.malformed != 1 || after.payloadBytes != 1 {
					t.Errorf("got %d malformed of %d bytes, want the one byte", after.malformed,
						after.payloadBytes)
				}
			},
		},
		{
			name: "distinct record data", items: 1 << 15, frames: 2, flat: cacheBound,
			item: func(f *flood, i int) {
				q, r := txtExchange(i)
				f.feed(q)
				f.feed(r)
			},
			bound: func(*Extractor) int64 { return cacheBound + boundSlack },
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "answered", before.kinds[Answered], after.kinds[Answered], n, 0)
			},
		},
		{
			name: "distinct long names", items: 1 << 16, frames: 2, flat: cacheBound,
			item: func(f *flood, i int) {
				q, r := longNameExchange(i)
				f.feed(q)
				f.feed(r)
			},
			bound: func(*Extractor) int64 { return cacheBound + boundSlack },
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "answered", before.kinds[Answered], after.kinds[Answered], n, 0)
			},
		},
		{
			name: "distinct VLAN tags", items: 1 << 16, frames: 1,
			item: func(f *flood, i int) { f.feedLink(1, vlans(i)) },
			bound: func(x *Extractor) int64 {
				return fragBound(x.frags.limits) + boundSlack
			},
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "incomplete datagrams", before.malformed, after.malformed, n,
					int64(2*x.frags.limits.datagrams))
			},
		},
		{
			name: "one transaction", items: 1 << 17, frames: 1,
			item:  func(f *flood, i int) { f.feed(sameQuery) },
			bound: func(*Extractor) int64 { return boundSlack },
			check: func(t *testing.T, x *Extractor, n int64, before, after *boundSink) {
				reportedAll(t, "unanswered", before.kinds[Unanswered],
					after.kinds[Unanswered], n, maxPerTransaction)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runFlood(t, tc) })
	}
}

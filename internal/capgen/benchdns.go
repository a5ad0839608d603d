package capgen

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Shares of the benchmark's DNS traffic.
const (
	shareIPv6       = 0.15   // clients that talk to the resolver over IPv6
	shareVLAN       = 0.08   // clients behind an 802.1Q tagged segment
	shareTCP        = 0.03   // lookups over TCP
	shareFragmented = 0.0004 // lookups whose large response is IP-fragmented
	shareUnanswered = 0.02
	shareNXDomain   = 0.04
	shareServFail   = 0.01
	shareMalformed  = 0.0002 // responses replaced by bytes that do not decode
	shareEDNS       = 0.7
	shareDO         = 0.3
)

// benchEvent is a frame scheduled at a capture time; seq orders frames of
// the same time by when they were scheduled.
type benchEvent struct {
	at    time.Time
	seq   uint64
	frame []byte
}

// before orders events by time, then by scheduling order.
func (e *benchEvent) before(o *benchEvent) bool {
	if !e.at.Equal(o.at) {
		return e.at.Before(o.at)
	}
	return e.seq < o.seq
}

// eventHeap is a binary min-heap of events.
type eventHeap []benchEvent

// push adds an event.
func (h *eventHeap) push(e benchEvent) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].before(&s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

// pop removes and returns the earliest event.
func (h *eventHeap) pop() benchEvent {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].before(&s[small]) {
			small = l
		}
		if r < len(s) && s[r].before(&s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

// benchClient is a stub resolver talking to the recursive resolver.
type benchClient struct {
	path, back Path
	addr       netip.Addr
	server     netip.AddrPort
	port       uint16
}

// ephemeralPorts is the first port of the IANA dynamic range (RFC 6335),
// which clients take their source ports from.
const ephemeralPorts = 49152

// nextPort moves the client to its next source port, wrapping within the
// dynamic range.
func (c *benchClient) nextPort() {
	c.port++
	if c.port < ephemeralPorts {
		c.port = ephemeralPorts
	}
}

// dnsStream generates the DNS traffic of a recursive resolver's clients:
// lookups start at exponentially distributed intervals and their frames are
// scheduled at their capture times, so that frames come out in time order.
type dnsStream struct {
	rng     *rand.Rand
	names   *benchNames
	clients []benchClient
	framer  Framer
	events  eventHeap
	seq     uint64
	free    [][]byte
	next    time.Time     // start of the next lookup
	gap     time.Duration // mean time between lookup starts
	left    int           // lookups still to start
	truth   Truth
}

// newDNSStream returns a stream of lookups starting at start.
func newDNSStream(seed uint64, start time.Time, lookups, clients, names int,
	gap time.Duration) *dnsStream {
	d := &dnsStream{
		rng:   rand.New(rand.NewPCG(seed, 0x9d5a)),
		names: newBenchNames(seed, names),
		next:  start, gap: gap, left: lookups,
	}
	d.clients = make([]benchClient, clients)
	for i := range d.clients {
		d.clients[i] = d.newClient(i)
	}
	return d
}

// newClient returns client number i.
func (d *dnsStream) newClient(i int) benchClient {
	resolverMAC := HWAddr{0x02, 0, 0, 0, 0x05, 0x53}
	mac := HWAddr{0x02, 0x10, 0, byte(i >> 16), byte(i >> 8), byte(i)}
	c := benchClient{
		path:   Path{Link: Link{Type: LinkEthernet, Src: mac, Dst: resolverMAC}},
		addr:   netip.AddrFrom4([4]byte{10, 1 + byte(i>>16), byte(i >> 8), byte(i)}),
		server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 53}), portDNS),
		port:   uint16(ephemeralPorts + d.rng.IntN(10000)),
	}
	if d.rng.Float64() < shareIPv6 {
		c.addr = netip.AddrFrom16([16]byte{0xfd, 0, 0, 1, 14: byte(i >> 8), 15: byte(i)})
		c.server = netip.AddrPortFrom(netip.MustParseAddr("fd00:53::53"), portDNS)
	}
	if d.rng.Float64() < shareVLAN {
		c.path.Link.VLANs = []uint16{uint16(100 + i%4)}
	}
	c.back = c.path.Reverse()
	return c
}

// nextTime returns the time of the next frame, starting lookups as needed,
// or false when the stream is exhausted.
func (d *dnsStream) nextTime() (time.Time, bool) {
	for d.left > 0 && (len(d.events) == 0 || d.events[0].at.After(d.next)) {
		d.startLookup()
	}
	if len(d.events) == 0 {
		return time.Time{}, false
	}
	return d.events[0].at, true
}

// pop returns the next frame; call nextTime first. Hand the frame back
// with release once it is written.
func (d *dnsStream) pop() benchEvent {
	return d.events.pop()
}

// release returns a frame buffer for reuse.
func (d *dnsStream) release(frame []byte) {
	d.free = append(d.free, frame[:0])
}

// stop starts no more lookups; the frames already scheduled still come.
func (d *dnsStream) stop() {
	d.left = 0
}

// schedule copies frame into a pooled buffer and schedules it at t.
func (d *dnsStream) schedule(t time.Time, frame []byte) {
	var b []byte
	if n := len(d.free); n > 0 {
		b, d.free = d.free[n-1], d.free[:n-1]
	}
	d.seq++
	d.events.push(benchEvent{at: t, seq: d.seq, frame: append(b, frame...)})
}

// startLookup starts one lookup (or a connection with two) at d.next.
func (d *dnsStream) startLookup() {
	t := d.next
	d.next = t.Add(time.Duration(d.rng.ExpFloat64() * float64(d.gap)))
	c := &d.clients[d.rng.IntN(len(d.clients))]
	c.nextPort()

	switch roll := d.rng.Float64(); {
	case roll < shareTCP:
		d.tcpLookup(t, c)
	case roll < shareTCP+shareFragmented:
		d.fragmentedLookup(t, c)
	default:
		d.udpLookup(t, c)
	}
}

// rtt draws a round-trip time: mostly a cache hit, sometimes a recursion.
func (d *dnsStream) rtt() time.Duration {
	if d.rng.IntN(4) > 0 {
		return time.Duration(200_000 + d.rng.IntN(2_800_000))
	}
	return time.Duration(5_000_000 + d.rng.IntN(75_000_000))
}

// count counts a message and its records.
func (d *dnsStream) count(m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		panic("capgen: benchmark message does not pack: " + err.Error())
	}
	d.truth.Messages++
	d.truth.Records += RecordCount(m)
	return b
}

// udpLookup schedules a query and, unless it goes unanswered, its response
// (or, rarely, bytes that do not decode).
func (d *dnsStream) udpLookup(t time.Time, c *benchClient) {
	d.left--
	client := netip.AddrPortFrom(c.addr, c.port)
	q, r := d.newLookup()
	d.schedule(t, d.framer.UDP(&c.path, client, c.server, d.count(q)))

	switch roll := d.rng.Float64(); {
	case roll < shareUnanswered:
		d.truth.Unanswered++
	case roll < shareUnanswered+shareMalformed:
		payload := []byte{byte(q.Id >> 8), byte(q.Id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
			0x3f, 'b', 'a', 'd'}
		d.schedule(t.Add(d.rtt()), d.framer.UDP(&c.back, c.server, client, payload))
		d.truth.Unanswered++
		d.truth.Malformed++
	default:
		d.schedule(t.Add(d.rtt()), d.framer.UDP(&c.back, c.server, client, d.count(r)))
		d.truth.Answered++
	}
}

// newLookup draws a question and builds the query and its response.
func (d *dnsStream) newLookup() (q, r *dns.Msg) {
	i := d.names.pick(d.rng)
	qtype := d.qtype()
	name := d.names.names[i]
	var ptrHost string
	if qtype == dns.TypePTR {
		name, ptrHost = d.names.reverseName(mix(uint64(i), 0x1234))
	}

	roll := d.rng.Float64()
	if roll < shareNXDomain {
		name = dgaName(d.rng)
	}
	q = NewQuery(uint16(d.rng.Uint32()), name, qtype)
	if d.rng.Float64() < shareEDNS {
		SetEDNS(q, 1232, d.rng.Float64() < shareDO, netip.Prefix{}, 0)
	}

	rcode := dns.RcodeSuccess
	switch {
	case roll < shareNXDomain:
		rcode = dns.RcodeNameError
	case roll < shareNXDomain+shareServFail:
		rcode = dns.RcodeServerFailure
	}
	r = NewResponse(q, rcode)
	switch {
	case rcode == dns.RcodeNameError:
		r.Ns = append(r.Ns, soa(zoneOf(name), uint64(i)))
	case rcode != dns.RcodeSuccess:
	case qtype == dns.TypePTR:
		r.Answer = append(r.Answer, &dns.PTR{Hdr: hdr(name, qtype, 3600), Ptr: ptrHost})
	default:
		d.names.answer(r, i, qtype)
	}
	if opt := q.IsEdns0(); opt != nil {
		SetEDNS(r, 1232, opt.Do(), netip.Prefix{}, 0)
	}
	return q, r
}

// qtypes and their cumulative shares of the benchmark's questions.
var qtypes = []struct {
	qtype uint16
	upTo  float64
}{
	{dns.TypeA, 0.55}, {dns.TypeAAAA, 0.77}, {dns.TypeHTTPS, 0.84}, {dns.TypePTR, 0.89},
	{dns.TypeMX, 0.92}, {dns.TypeTXT, 0.95}, {dns.TypeNS, 0.97}, {dns.TypeSOA, 0.98},
	{dns.TypeSRV, 0.99}, {dns.TypeCAA, 1},
}

// qtype draws a question type.
func (d *dnsStream) qtype() uint16 {
	x := d.rng.Float64()
	for _, q := range qtypes {
		if x < q.upTo {
			return q.qtype
		}
	}
	return dns.TypeA
}

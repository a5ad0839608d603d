package dnsextract

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"pdnsx/pcapread"
)

// This file builds raw IP frames (LINKTYPE_RAW) by hand for the
// reassembly tests. Checksums are left zero: the decoder does not check them.

const linkRawIP = pcapread.LinkType(101)

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

var testBase = time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC)

// ipv4Packet returns an IPv4 packet of protocol proto; off is the fragment
// offset in bytes (a multiple of 8).
func ipv4Packet(src, dst netip.Addr, proto uint8, id uint16, off int, more bool,
	payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:], id)
	ff := uint16(off / 8)
	if more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:], ff)
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, payload...)
}

// ipv6Packet returns an IPv6 packet whose payload starts with header next.
func ipv6Packet(src, dst netip.Addr, next uint8, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ipv6Fragment returns an IPv6 packet holding a fragment header and data.
func ipv6Fragment(src, dst netip.Addr, proto uint8, id uint32, off int, more bool,
	data []byte) []byte {
	f := make([]byte, 8, 8+len(data))
	f[0] = proto
	field := uint16(off)
	if more {
		field |= 1
	}
	binary.BigEndian.PutUint16(f[2:], field)
	binary.BigEndian.PutUint32(f[4:], id)
	return ipv6Packet(src, dst, 44, append(f, data...))
}

// udpDatagram returns a UDP header and payload.
func udpDatagram(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h, sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

// tcpSegment returns a TCP header (no options) and payload.
func tcpSegment(sport, dport uint16, seq, ack uint32, flags uint8, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h, sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12], h[13] = 5<<4, flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return append(h, payload...)
}

// testQuery returns a packed query for name.
func testQuery(t testing.TB, id uint16, name string) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.Id = id
	return pack(t, m)
}

// testResponse returns a packed response to testQuery(id, name) with n A
// records.
func testResponse(t testing.TB, id uint16, name string, n int) []byte {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	q.Id = id
	r := new(dns.Msg)
	r.SetReply(q)
	for i := range n {
		rr, err := dns.NewRR(name + " 300 IN A 192.0.2." + itoa(i+1))
		if err != nil {
			t.Fatal(err)
		}
		r.Answer = append(r.Answer, rr)
	}
	return pack(t, r)
}

func pack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// prefixed returns the messages each preceded by its length (RFC 1035
// section 4.2.2).
func prefixed(msgs ...[]byte) []byte {
	var b []byte
	for _, m := range msgs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(m)))
		b = append(b, m...)
	}
	return b
}

// feeder feeds frames to an Extractor, numbering them and spacing them a
// millisecond apart unless told otherwise.
type feeder struct {
	x       *Extractor
	capture int
	n       int64
	at      time.Time
}

func newFeeder(x *Extractor) *feeder { return &feeder{x: x, at: testBase} }

// feed feeds one raw IP packet and returns its frame reference.
func (f *feeder) feed(pkt []byte) FrameRef {
	f.n++
	f.at = f.at.Add(time.Millisecond)
	f.x.Frame(f.capture, &pcapread.Frame{
		Number: f.n, Time: f.at, LinkType: linkRawIP, Data: pkt, OrigLen: len(pkt),
	})
	return FrameRef{Capture: f.capture, Frame: f.n}
}

// conn is a TCP connection between a client and a DNS server, over IPv4.
type conn struct {
	client, server netip.AddrPort
	cseq, sseq     uint32 // next sequence numbers
	noAck          bool   // leave the ACK flag out, so that no hole shows
}

func newConn(clientISN, serverISN uint32) *conn {
	return &conn{
		client: netip.MustParseAddrPort("192.0.2.10:40000"),
		server: netip.MustParseAddrPort("198.51.100.53:53"),
		cseq:   clientISN, sseq: serverISN,
	}
}

// packet returns a segment from the client (or the server) with the given
// sequence number; it does not advance the connection.
func (c *conn) packet(fromClient bool, seq uint32, flags uint8, data []byte) []byte {
	src, dst, ack := c.client, c.server, c.sseq
	if !fromClient {
		src, dst, ack = c.server, c.client, c.cseq
	}
	if !c.noAck {
		flags |= flagACK
	}
	seg := tcpSegment(src.Port(), dst.Port(), seq, ack, flags, data)
	return ipv4Packet(src.Addr(), dst.Addr(), 6, 1, 0, false, seg)
}

// handshake returns the three segments that open the connection.
func (c *conn) handshake() [][]byte {
	syn := tcpSegment(c.client.Port(), c.server.Port(), c.cseq, 0, flagSYN, nil)
	c.cseq++
	synack := tcpSegment(c.server.Port(), c.client.Port(), c.sseq, c.cseq, flagSYN|flagACK, nil)
	c.sseq++
	return [][]byte{
		ipv4Packet(c.client.Addr(), c.server.Addr(), 6, 1, 0, false, syn),
		ipv4Packet(c.server.Addr(), c.client.Addr(), 6, 1, 0, false, synack),
		c.packet(true, c.cseq, 0, nil),
	}
}

// send returns data from one side cut into segments at the given offsets,
// and advances that side's sequence number.
func (c *conn) send(fromClient bool, data []byte, cuts ...int) [][]byte {
	seq := &c.sseq
	if fromClient {
		seq = &c.cseq
	}
	var pkts [][]byte
	start := 0
	for _, end := range append(cuts, len(data)) {
		pkts = append(pkts, c.packet(fromClient, *seq+uint32(start), 0, data[start:end]))
		start = end
	}
	*seq += uint32(len(data))
	return pkts
}

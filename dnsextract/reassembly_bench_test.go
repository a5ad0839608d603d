package dnsextract

import (
	"encoding/binary"
	"testing"
	"time"

	"pdnsx/pcapread"
)

// benchFeed feeds the frames of one lookup per iteration, after prime, each
// rewritten in place by next, a microsecond apart.
func benchFeed(b *testing.B, prime, frames [][]byte, next func(i int, pkts [][]byte)) {
	x := New(Config{}, discard{})
	f := &pcapread.Frame{LinkType: linkRawIP}
	at := testBase
	feed := func(pkt []byte) {
		f.Number++
		at = at.Add(time.Microsecond)
		f.Time, f.Data, f.OrigLen = at, pkt, len(pkt)
		x.Frame(0, f)
	}
	for _, p := range prime {
		feed(p)
	}
	size := 0
	for _, p := range frames {
		size += len(p)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		next(i, frames)
		for _, p := range frames {
			feed(p)
		}
		i++
	}
	x.Close()
}

// BenchmarkUDPLookup is the baseline: a query and its response over UDP.
func BenchmarkUDPLookup(b *testing.B) {
	c := newConn(1, 2)
	q, r := testQuery(b, 1, "bench.example."), testResponse(b, 1, "bench.example.", 2)
	frames := [][]byte{
		ipv4Packet(c.client.Addr(), c.server.Addr(), 17, 1, 0, false,
			udpDatagram(c.client.Port(), 53, q)),
		ipv4Packet(c.server.Addr(), c.client.Addr(), 17, 1, 0, false,
			udpDatagram(53, c.client.Port(), r)),
	}
	benchFeed(b, nil, frames, func(int, [][]byte) {})
}

// BenchmarkTCPInOrder sends a query and its response per iteration on one
// TCP connection, each in one in-order segment.
func BenchmarkTCPInOrder(b *testing.B) {
	c := newConn(0xfff0_0000, 0x10)
	q := prefixed(testQuery(b, 1, "bench.example."))
	r := prefixed(testResponse(b, 1, "bench.example.", 2))
	prime := c.handshake()
	frames := [][]byte{c.packet(true, c.cseq, 0, q), c.packet(false, c.sseq, 0, r)}
	cseq, sseq := c.cseq, c.sseq
	benchFeed(b, prime, frames, func(i int, pkts [][]byte) {
		n := uint32(i)
		binary.BigEndian.PutUint32(pkts[0][24:], cseq+n*uint32(len(q)))
		binary.BigEndian.PutUint32(pkts[1][24:], sseq+n*uint32(len(r)))
	})
}

// BenchmarkTCPSplit sends per iteration a query and a response cut in
// three segments, the middle one captured last.
func BenchmarkTCPSplit(b *testing.B) {
	c := newConn(0xfff0_0000, 0x10)
	q := prefixed(testQuery(b, 1, "bench.example."))
	r := prefixed(testResponse(b, 1, "bench.example.", 20))
	prime := c.handshake()
	cuts := []int{0, 1, 150, len(r)}
	frames := [][]byte{c.packet(true, c.cseq, 0, q),
		c.packet(false, c.sseq, 0, r[:cuts[1]]),
		c.packet(false, c.sseq+uint32(cuts[2]), 0, r[cuts[2]:]),
		c.packet(false, c.sseq+uint32(cuts[1]), 0, r[cuts[1]:cuts[2]])}
	cseq, sseq := c.cseq, c.sseq
	benchFeed(b, prime, frames, func(i int, pkts [][]byte) {
		n := uint32(i)
		binary.BigEndian.PutUint32(pkts[0][24:], cseq+n*uint32(len(q)))
		base := sseq + n*uint32(len(r))
		binary.BigEndian.PutUint32(pkts[1][24:], base)
		binary.BigEndian.PutUint32(pkts[2][24:], base+uint32(cuts[2]))
		binary.BigEndian.PutUint32(pkts[3][24:], base+uint32(cuts[1]))
	})
}

// BenchmarkFragments sends per iteration a query and a 2.5 kB response in
// four IPv4 fragments, the first captured last.
func BenchmarkFragments(b *testing.B) {
	resp := testResponse(b, 0x4242, "big.example.", 150)
	dgram := udpDatagram(fragServer.Port(), fragClient.Port(), resp)
	frags := fragments(false, 1, dgram, (len(dgram)/4+8)&^7)
	query := ipv4Packet(fragClient.Addr(), fragServer.Addr(), 17, 9, 0, false,
		udpDatagram(fragClient.Port(), fragServer.Port(), testQuery(b, 0x4242, "big.example.")))
	frames := [][]byte{query, frags[1], frags[2], frags[3], frags[0]}
	benchFeed(b, nil, frames, func(i int, pkts [][]byte) {
		for _, p := range pkts[1:] {
			binary.BigEndian.PutUint16(p[4:], uint16(i))
		}
	})
}

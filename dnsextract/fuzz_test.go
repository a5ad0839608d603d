package dnsextract

import (
	"net/netip"
	"testing"
	"time"
)

// reassemblyProgram turns fuzz input into frames: TCP segments of three
// connections, IPv4 and IPv6 fragments of a few datagrams, jumps in capture
// time, and cuts between captures. Segments and fragments carry the bytes
// of real streams and datagrams at their offsets, or garbage.
type reassemblyProgram struct {
	in      []byte
	streams [2][]byte // client and server bytes of every connection
	dgram   []byte    // a UDP datagram from port 53
}

func (r *reassemblyProgram) byte() byte {
	if len(r.in) == 0 {
		return 0
	}
	b := r.in[0]
	r.in = r.in[1:]
	return b
}

func (r *reassemblyProgram) uint16() uint16 {
	return uint16(r.byte())<<8 | uint16(r.byte())
}

// slice returns n bytes of src from off, or garbage when asked to.
func (r *reassemblyProgram) slice(src []byte, off, n int, garbage bool) []byte {
	out := make([]byte, n)
	for i := range out {
		switch {
		case garbage:
			out[i] = byte(i*7) ^ byte(off)
		case off+i < len(src):
			out[i] = src[off+i]
		}
	}
	return out
}

var (
	fuzzClients = []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:1001"),
		netip.MustParseAddrPort("192.0.2.2:1002"),
		netip.MustParseAddrPort("192.0.2.1:1003"),
	}
	fuzzServer  = netip.MustParseAddrPort("198.51.100.53:53")
	fuzzServer6 = netip.MustParseAddrPort("[2001:db8::53]:53")
	fuzzClient6 = netip.MustParseAddrPort("[2001:db8::1]:1001")
)

// next returns the next frame's packet, or nil at the end of the program;
// cut reports a cut between captures instead.
func (r *reassemblyProgram) next(f *feeder) (pkt []byte, cut bool) {
	if len(r.in) == 0 {
		return nil, false
	}
	switch op := r.byte(); op % 5 {
	case 0:
		return r.segment(op), false
	case 1, 2:
		return r.fragment(op), false
	case 3:
		f.at = f.at.Add(time.Duration(r.byte()) * 500 * time.Millisecond)
		return r.next(f)
	default:
		return nil, true
	}
}

// segment returns a TCP segment of connection op/5%3, either direction.
func (r *reassemblyProgram) segment(op byte) []byte {
	conn, fromServer := int(op/5)%3, op&0x80 != 0
	off, n, flags, ack := int(r.uint16())%1200, int(r.byte())*3, r.byte(), r.uint16()
	base := uint32(0xffff_fe00) + uint32(conn)*0x1000 // wraps within the stream
	data := r.slice(r.streams[btoi(fromServer)], off, n, flags&0x40 != 0)
	src, dst := fuzzClients[conn], fuzzServer
	if fromServer {
		src, dst = dst, src
	}
	tcpFlags := flags & (flagSYN | flagFIN | flagRST | flagACK)
	seq := base + uint32(off)
	if tcpFlags&flagSYN != 0 {
		seq--
	}
	seg := tcpSegment(src.Port(), dst.Port(), seq, base+uint32(ack), tcpFlags, data)
	return ipv4Packet(src.Addr(), dst.Addr(), 6, 1, 0, false, seg)
}

// fragment returns an IPv4 (op%5 == 1) or IPv6 fragment of one of two
// datagrams.
func (r *reassemblyProgram) fragment(op byte) []byte {
	id := uint32(op/5) % 2
	off, n, flags := int(r.byte())*8, int(r.byte())*4, r.byte()
	data := r.slice(r.dgram, off, n, flags&0x40 != 0)
	more := flags&0x01 != 0
	if op%5 == 2 {
		return ipv6Fragment(fuzzServer6.Addr(), fuzzClient6.Addr(), 17, id, off, more, data)
	}
	return ipv4Packet(fuzzServer.Addr(), fuzzClients[0].Addr(), 17, uint16(id), off, more, data)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkBounds checks that the reassembly state is bounded by its limits
// and that its byte counts add up.
func checkBounds(t *testing.T, x *Extractor) {
	t.Helper()
	tcp, frags := &x.tcp, &x.frags
	sum, n := 0, 0
	for s := tcp.front; s != nil; s = s.next {
		n++
		sum += s.buffered() + s.oooLen
		if s.oooLen > tcp.limits.outOfOrder {
			t.Fatalf("stream holds %d bytes out of order, limit %d", s.oooLen,
				tcp.limits.outOfOrder)
		}
		if s.buffered() > tcp.limits.hunt+2*65536 {
			t.Fatalf("stream buffers %d bytes", s.buffered())
		}
	}
	if sum != tcp.bytes || n != tcp.n || n != len(tcp.streams) {
		t.Fatalf("TCP counts %d bytes in %d streams, holds %d in %d (map %d)", tcp.bytes,
			tcp.n, sum, n, len(tcp.streams))
	}
	if tcp.bytes > tcp.limits.bytes || n > tcp.limits.streams {
		t.Fatalf("TCP holds %d bytes in %d streams, over %+v", tcp.bytes, n, tcp.limits)
	}

	sum, n = 0, 0
	for d := frags.all.front; d != nil; d = d.next {
		n++
		for i := range d.parts {
			sum += len(d.parts[i].data) + fragPartCost
		}
	}
	if sum != frags.bytes || n != frags.all.n || n != len(frags.datagrams) {
		t.Fatalf("fragments count %d bytes in %d datagrams, hold %d in %d", frags.bytes,
			frags.all.n, sum, n)
	}
	if frags.bytes > frags.limits.bytes || n > frags.limits.datagrams {
		t.Fatalf("fragments hold %d bytes in %d datagrams, over %+v", frags.bytes, n,
			frags.limits)
	}
	if x.edges.headBytes > maxHeadTotalBytes || len(x.edges.held) > x.pairs.limit {
		t.Fatalf("holding %d head bytes and %d messages", x.edges.headBytes,
			len(x.edges.held))
	}
}

// newFuzzExtractor returns an Extractor with small limits, so that the
// fuzzer reaches them.
func newFuzzExtractor() *Extractor {
	x := New(Config{MaxPending: 16}, discard{})
	x.tcp.limits = tcpLimits{streams: 4, bytes: 6000, outOfOrder: 2000, hunt: 1500,
		ahead: 1 << 16}
	x.frags.limits = fragLimits{datagrams: 3, perFlow: 2, bytes: 4000}
	return x
}

// FuzzReassembly feeds random segments and fragments, cut into captures
// at random, through Extractors, Carry and Stitch: nothing may panic and the
// state must stay within its limits.
func FuzzReassembly(f *testing.F) {
	var client, server [][]byte
	for i := range 6 {
		name := "fuzz" + itoa(i) + ".example."
		client = append(client, testQuery(f, uint16(i), name))
		server = append(server, testResponse(f, uint16(i), name, 1+i*4))
	}
	streams := [2][]byte{prefixed(client...), prefixed(server...)}
	dgram := udpDatagram(53, 1001, testResponse(f, 9, "frag.example.", 60))

	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 30, flagSYN, 0, 0, 0x80, 0, 0, 40, flagACK, 0, 0})
	f.Add([]byte{1, 0, 60, 1, 1, 60, 30, 0, 2, 0, 90, 1, 2, 90, 60, 0})
	f.Add([]byte{0x80, 0, 100, 50, flagACK, 0, 0, 4, 0x80, 0, 0, 40, flagACK, 0, 0,
		3, 100, 0x85, 0, 20, 20, flagFIN | flagACK, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		// An input takes milliseconds; one that takes seconds loops.
		watchdog := time.AfterFunc(10*time.Second, func() { panic("reassembly loops") })
		defer watchdog.Stop()
		prog := &reassemblyProgram{in: in, streams: streams, dgram: dgram}
		x := newFuzzExtractor()
		feed := newFeeder(x)
		var carries []*Carry
		for {
			pkt, cut := prog.next(feed)
			if cut {
				carries = append(carries, x.Carry())
				x = newFuzzExtractor()
				feed.x, feed.capture, feed.n = x, feed.capture+1, 0
				continue
			}
			if pkt == nil {
				break
			}
			feed.feed(pkt)
			checkBounds(t, x)
		}
		carries = append(carries, x.Carry())

		stitch := newFuzzExtractor()
		stitch.Stitch(carries...)
		checkBounds(t, stitch)
		stitch.Close()
		if stitch.tcp.n != 0 || stitch.tcp.bytes != 0 || stitch.frags.bytes != 0 ||
			len(stitch.frags.datagrams) != 0 {
			t.Fatalf("state left after Close: %d streams, %d TCP bytes, %d fragment bytes",
				stitch.tcp.n, stitch.tcp.bytes, stitch.frags.bytes)
		}
	})
}

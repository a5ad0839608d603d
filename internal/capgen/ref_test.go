package capgen

// This file is an independent reference reader for the tests: it reads
// generated captures with gopacket's pcapgo readers and layer decoders,
// reassembles IP fragments with gopacket's defragmenters and TCP streams
// with a simple sequence-ordered reassembler, unpacks DNS with miekg/dns,
// and counts what a capture holds, so that the truth the generator claims
// is checked against what is actually in the bytes.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/ip6defrag"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/zstd"
	"github.com/miekg/dns"
)

// refPairWindow is how long after its query the reference pairs a
// response; refReorder is how much earlier than its query a response may be
// stamped.
const (
	refPairWindow = time.Minute
	refReorder    = time.Second
)

// refFrame is one frame read back from a capture.
type refFrame struct {
	time time.Time
	link layers.LinkType
	data []byte
}

// refMsg is one DNS payload found in the frames.
type refMsg struct {
	time     time.Time
	src, dst netip.AddrPort
	tcp      bool
	msg      *dns.Msg // nil when the payload did not decode
}

// refRead decompresses a capture by its magic and reads its frames. It
// returns the status a reader must report.
func refRead(data []byte) ([]refFrame, string) {
	status := StatusComplete
	raw, err := refDecompress(data)
	if err != nil {
		status = StatusTruncated
	}

	var frames []refFrame
	next, ok := refOpen(raw)
	if !ok {
		return nil, StatusFailed
	}
	for {
		f, err := next()
		switch {
		case err == nil:
			frames = append(frames, f)
			continue
		case errors.Is(err, io.EOF) && status == StatusComplete:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			status = StatusTruncated
		default:
			status = StatusCorrupt
		}
		if ngBlocksCorrupt(raw) {
			status = StatusCorrupt // pcapgo does not check block lengths
		}
		return frames, status
	}
}

// refDecompress returns the decompressed bytes, as many as could be
// recovered when the stream is damaged.
func refDecompress(data []byte) ([]byte, error) {
	var r io.Reader
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = zr
	case bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	default:
		return data, nil
	}
	return io.ReadAll(r)
}

// refOpen returns a function reading the next frame of a pcap or pcapng
// capture, or false when raw is neither.
func refOpen(raw []byte) (func() (refFrame, error), bool) {
	if len(raw) < 4 {
		return nil, false
	}
	switch binary.LittleEndian.Uint32(raw) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		r, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, false
		}
		return func() (refFrame, error) {
			data, ci, err := r.ReadPacketData()
			return refFrame{ci.Timestamp, r.LinkType(), data}, err
		}, true
	case 0x0a0d0d0a:
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw),
			pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, false
		}
		return func() (refFrame, error) {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				return refFrame{}, err
			}
			ifc, err := r.Interface(ci.InterfaceIndex)
			return refFrame{ci.Timestamp, ifc.LinkType, data}, err
		}, true
	}
	return nil, false
}

// ngBlocksCorrupt walks the blocks of a pcapng capture and reports whether
// one has an impossible length or a trailer that does not repeat it. Other
// inputs are not corrupt.
func ngBlocksCorrupt(raw []byte) bool {
	var order binary.ByteOrder = binary.LittleEndian
	for off := 0; off+12 <= len(raw); {
		typ := binary.LittleEndian.Uint32(raw[off:])
		if off == 0 && typ != uint32(blockSHB) {
			return false
		}
		if typ == blockSHB {
			order = binary.LittleEndian
			if binary.BigEndian.Uint32(raw[off+8:]) == byteOrderMagic {
				order = binary.BigEndian
			}
		}
		n := int(order.Uint32(raw[off+4:]))
		if n < 12 || n%4 != 0 {
			return true
		}
		if off+n > len(raw) {
			return false // truncated, not corrupt
		}
		if int(order.Uint32(raw[off+n-4:])) != n {
			return true
		}
		off += n
	}
	return false
}

// refDecoder turns frames into DNS payloads.
type refDecoder struct {
	ports   map[uint16]bool
	defrag4 *ip4defrag.IPv4Defragmenter
	defrag6 *ip6defrag.IPv6Defragmenter
	streams map[[2]netip.AddrPort]*refStream
	order   [][2]netip.AddrPort
	msgs    []refMsg
	stats   refStats
}

// refStats counts how the DNS payloads were carried.
type refStats struct {
	reassembled int // datagrams rebuilt from IP fragments
	tcp         int // DNS payloads taken from TCP streams
}

// newRefDecoder returns a decoder taking 53, 5353, 5355 and extra as DNS
// ports.
func newRefDecoder(extra []uint16) *refDecoder {
	d := &refDecoder{
		ports:   map[uint16]bool{portDNS: true, portMDNS: true, portLLMNR: true},
		defrag4: ip4defrag.NewIPv4Defragmenter(),
		defrag6: ip6defrag.NewIPv6Defragmenter(),
		streams: map[[2]netip.AddrPort]*refStream{},
	}
	for _, p := range extra {
		d.ports[p] = true
	}
	return d
}

// frame decodes one frame.
func (d *refDecoder) frame(f refFrame) error {
	link := f.link
	switch link {
	case layers.LinkType(LinkRaw12), layers.LinkType(LinkRaw14),
		layers.LinkType(LinkIPv4), layers.LinkType(LinkIPv6):
		link = layers.LinkTypeRaw
	}
	pkt := refPacket(f.data, link) // the innermost IP packet (tunnels_ref_test.go)
	if pkt.NetworkLayer() == nil {
		return fmt.Errorf("frame at %v: no IP layer", f.time)
	}

	var src, dst netip.Addr
	var payload []byte
	var proto layers.IPProtocol
	if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		whole, err := d.defrag4.DefragIPv4(ip4)
		if err != nil || whole == nil {
			return err
		}
		if whole != ip4 {
			d.stats.reassembled++
		}
		src = netip.AddrFrom4([4]byte(whole.SrcIP.To4()))
		dst = netip.AddrFrom4([4]byte(whole.DstIP.To4()))
		payload, proto = whole.Payload, whole.Protocol
	} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
		src, dst = netip.AddrFrom16([16]byte(ip6.SrcIP)), netip.AddrFrom16([16]byte(ip6.DstIP))
		payload, proto = ip6Payload(pkt, ip6)
		if frag, ok := pkt.Layer(layers.LayerTypeIPv6Fragment).(*layers.IPv6Fragment); ok {
			whole := d.defrag6.DefragIPv6(ip6, frag)
			if whole == nil {
				return nil
			}
			d.stats.reassembled++
			payload, proto = whole.Payload, frag.NextHeader
		}
	} else {
		return nil
	}
	return d.transport(f.time, src, dst, proto, payload)
}

// ip6Payload returns the upper-layer payload and protocol after the
// extension headers gopacket decoded.
func ip6Payload(pkt gopacket.Packet, ip6 *layers.IPv6) ([]byte, layers.IPProtocol) {
	payload, proto := ip6.Payload, ip6.NextHeader
	for _, l := range pkt.Layers() {
		switch e := l.(type) {
		case *layers.IPv6HopByHop:
			payload, proto = e.Payload, e.NextHeader
		case *layers.IPv6Destination:
			payload, proto = e.Payload, e.NextHeader
		case *layers.IPv6Routing:
			payload, proto = e.Payload, e.NextHeader
		}
	}
	return payload, proto
}

// transport decodes a UDP datagram or TCP segment.
func (d *refDecoder) transport(t time.Time, src, dst netip.Addr, proto layers.IPProtocol,
	payload []byte) error {
	switch proto {
	case layers.IPProtocolUDP:
		var udp layers.UDP
		if err := udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			return err
		}
		s, r := netip.AddrPortFrom(src, uint16(udp.SrcPort)), netip.AddrPortFrom(dst, uint16(udp.DstPort))
		if d.ports[s.Port()] || d.ports[r.Port()] {
			d.dns(t, s, r, false, udp.Payload)
		}
	case layers.IPProtocolTCP:
		var tcp layers.TCP
		if err := tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			return err
		}
		s, r := netip.AddrPortFrom(src, uint16(tcp.SrcPort)), netip.AddrPortFrom(dst, uint16(tcp.DstPort))
		if d.ports[s.Port()] || d.ports[r.Port()] {
			d.segment(t, s, r, &tcp)
		}
	}
	return nil
}

// dns records one DNS payload.
func (d *refDecoder) dns(t time.Time, src, dst netip.AddrPort, tcp bool, payload []byte) {
	m := new(dns.Msg)
	if m.Unpack(payload) != nil {
		m = nil
	}
	d.msgs = append(d.msgs, refMsg{time: t, src: src, dst: dst, tcp: tcp, msg: m})
}

// refStream is one direction of a TCP connection.
type refStream struct {
	base     uint32
	haveBase bool
	segs     []refSeg
}

// refSeg is a TCP segment's data at its offset from the stream's base.
type refSeg struct {
	off  int64
	time time.Time
	data []byte
}

// segment keeps a TCP segment for reassembly.
func (d *refDecoder) segment(t time.Time, src, dst netip.AddrPort, tcp *layers.TCP) {
	key := [2]netip.AddrPort{src, dst}
	st := d.streams[key]
	if st == nil {
		st = &refStream{}
		d.streams[key] = st
		d.order = append(d.order, key)
	}
	if tcp.SYN {
		st.base, st.haveBase = tcp.Seq+1, true
		return
	}
	if len(tcp.Payload) == 0 {
		return
	}
	if !st.haveBase {
		st.base, st.haveBase = tcp.Seq, true
	}
	off := int64(int32(tcp.Seq - st.base))
	st.segs = append(st.segs, refSeg{off, t, slices.Clone(tcp.Payload)})
}

// flushStreams reassembles every TCP stream in offset order and records its
// length-prefixed DNS messages. After a gap, decoding restarts at the next
// segment; a message cut by a gap or by the end is lost.
func (d *refDecoder) flushStreams() {
	for _, key := range d.order {
		st := d.streams[key]
		slices.SortStableFunc(st.segs, func(a, b refSeg) int { return int(a.off - b.off) })
		var buf []byte
		var next int64
		for i, sg := range st.segs {
			end := sg.off + int64(len(sg.data))
			switch {
			case i == 0:
				next = sg.off
			case end <= next:
				continue // retransmission
			case sg.off > next:
				buf, next = nil, sg.off // gap: the partial message is lost
			}
			buf = append(buf, sg.data[next-sg.off:]...)
			next = end
			buf = d.drain(buf, sg.time, key)
		}
	}
}

// drain records the whole messages at the front of buf and returns the
// rest.
func (d *refDecoder) drain(buf []byte, t time.Time, key [2]netip.AddrPort) []byte {
	for len(buf) >= 2 {
		n := int(binary.BigEndian.Uint16(buf))
		if len(buf) < 2+n {
			break
		}
		d.dns(t, key[0], key[1], true, buf[2:2+n])
		d.stats.tcp++
		buf = buf[2+n:]
	}
	return buf
}

// refCount reads captures in order as one run and counts what they hold.
func refCount(captures [][]byte, ports []uint16) (Truth, error) {
	truth, _, err := refCountStats(captures, ports)
	return truth, err
}

// refCountStats is refCount that also returns how DNS was carried.
func refCountStats(captures [][]byte, ports []uint16) (Truth, refStats, error) {
	d := newRefDecoder(ports)
	truth := Truth{Status: StatusComplete, Ports: ports}
	for _, c := range captures {
		frames, status := refRead(c)
		if status != StatusComplete {
			truth.Status = status
		}
		for _, f := range frames {
			truth.Frames++
			if err := d.frame(f); err != nil {
				return truth, d.stats, err
			}
		}
	}
	d.flushStreams()

	for _, m := range d.msgs {
		if m.msg == nil {
			truth.Malformed++
			continue
		}
		truth.Messages++
		truth.Records += RecordCount(m.msg)
	}
	refPair(d.msgs, d.ports, &truth)
	return truth, d.stats, nil
}

// refPair counts lookups: multicast DNS and LLMNR never pair; other
// responses pair with the earliest unpaired query of the same flow, ID and
// question within the window.
func refPair(msgs []refMsg, ports map[uint16]bool, truth *Truth) {
	var queries []refMsg
	paired := map[int]bool{}
	for _, m := range msgs {
		if m.msg != nil && !m.msg.Response {
			queries = append(queries, m)
		}
	}
	slices.SortStableFunc(queries, func(a, b refMsg) int { return a.time.Compare(b.time) })

	for _, m := range msgs {
		switch {
		case m.msg == nil || !m.msg.Response:
		case isLinkLocalDNS(m):
			truth.Unsolicited++
		case refMatch(queries, paired, m):
			truth.Answered++
		default:
			truth.Unsolicited++
		}
	}
	truth.Unanswered = len(queries) - len(paired)
}

// isLinkLocalDNS reports whether a message is multicast DNS or LLMNR.
func isLinkLocalDNS(m refMsg) bool {
	for _, p := range []uint16{m.src.Port(), m.dst.Port()} {
		if p == portMDNS || p == portLLMNR {
			return true
		}
	}
	return false
}

// refMatch pairs response r with a query, marking it paired.
func refMatch(queries []refMsg, paired map[int]bool, r refMsg) bool {
	for i, q := range queries {
		if paired[i] || isLinkLocalDNS(q) || q.tcp != r.tcp {
			continue
		}
		if q.src != r.dst || q.dst != r.src || q.msg.Id != r.msg.Id {
			continue
		}
		if !sameQuestion(q.msg, r.msg) {
			continue
		}
		if r.time.Before(q.time.Add(-refReorder)) || r.time.After(q.time.Add(refPairWindow)) {
			continue
		}
		paired[i] = true
		return true
	}
	return false
}

// sameQuestion compares the first questions of two messages.
func sameQuestion(a, b *dns.Msg) bool {
	if len(a.Question) == 0 || len(b.Question) == 0 {
		return len(a.Question) == len(b.Question)
	}
	qa, qb := a.Question[0], b.Question[0]
	return strings.EqualFold(qa.Name, qb.Name) && qa.Qtype == qb.Qtype && qa.Qclass == qb.Qclass
}

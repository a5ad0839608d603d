package capgen

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	testSrc4 = netip.MustParseAddrPort("192.0.2.1:40000")
	testDst4 = netip.MustParseAddrPort("198.51.100.2:53")
	testSrc6 = netip.MustParseAddrPort("[2001:db8::1]:40000")
	testDst6 = netip.MustParseAddrPort("[2001:db8::2]:53")
)

// TestChecksumRFC1071 checks the worked example of RFC 1071 section 3.
func TestChecksumRFC1071(t *testing.T) {
	data := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got, want := Checksum(data), ^uint16(0xddf2); got != want {
		t.Errorf("Checksum = %#04x, want %#04x", got, want)
	}
	odd := []byte{0x01, 0x02, 0x03}
	if got, want := Checksum(odd), ^uint16(0x0102+0x0300); got != want {
		t.Errorf("Checksum(odd) = %#04x, want %#04x", got, want)
	}
}

// TestIPv4HeaderChecksum checks that headers with and without options sum
// to zero, as a receiver verifies them.
func TestIPv4HeaderChecksum(t *testing.T) {
	for _, opts := range [][]byte{nil, RouterAlert, {1, 1, 1}} {
		h := IPv4{Src: testSrc4.Addr(), Dst: testDst4.Addr(), ID: 0xbeef, Options: opts}
		pkt := h.Append(nil, ProtoUDP, []byte("payload"))
		hlen := int(pkt[0]&0x0f) * 4
		if hlen%4 != 0 || hlen < 20+len(opts) {
			t.Errorf("options %x: header length %d", opts, hlen)
		}
		if got := Checksum(pkt[:hlen]); got != 0 {
			t.Errorf("options %x: header sums to %#04x, want 0", opts, got)
		}
		if got := int(binary.BigEndian.Uint16(pkt[2:])); got != len(pkt) {
			t.Errorf("options %x: total length %d, want %d", opts, got, len(pkt))
		}
	}
}

// TestTransportChecksums checks UDP and TCP checksums over IPv4 and IPv6
// by summing the pseudo-header and the segment, which must give zero.
func TestTransportChecksums(t *testing.T) {
	tests := []struct {
		name     string
		src, dst netip.AddrPort
	}{
		{"ipv4", testSrc4, testDst4},
		{"ipv6", testSrc6, testDst6},
	}
	for _, tt := range tests {
		for _, payload := range [][]byte{nil, []byte("odd"), bytes.Repeat([]byte{0xff}, 1000)} {
			udp := AppendUDP(nil, tt.src, tt.dst, payload)
			if got := verifySum(tt.src, tt.dst, ProtoUDP, udp); got != 0 {
				t.Errorf("%s: UDP with %d bytes: sum %#04x, want 0", tt.name, len(payload), got)
			}
			h := TCPHeader{Seq: 1, Ack: 2, Flags: PSH | ACK, Window: 100, Options: []byte{1, 1, 1}}
			tcp := AppendTCP(nil, tt.src, tt.dst, &h, payload)
			if got := verifySum(tt.src, tt.dst, ProtoTCP, tcp); got != 0 {
				t.Errorf("%s: TCP with %d bytes: sum %#04x, want 0", tt.name, len(payload), got)
			}
			if got := int(tcp[12]>>4) * 4; got != 24 {
				t.Errorf("%s: TCP data offset %d, want 24", tt.name, got)
			}
		}
	}
}

// verifySum is the receiver's check: zero for a correct checksum.
func verifySum(src, dst netip.AddrPort, proto uint8, seg []byte) uint16 {
	return fold(sum16(pseudoSum(src.Addr(), dst.Addr(), proto, len(seg)), seg))
}

// TestFragmentIPv4 checks offsets, the more-fragments flag, header
// checksums and that gopacket's defragmenter rebuilds the datagram.
func TestFragmentIPv4(t *testing.T) {
	datagram := AppendUDP(nil, testSrc4, testDst4, bytes.Repeat([]byte("0123456789"), 300))
	h := IPv4{Src: testSrc4.Addr(), Dst: testDst4.Addr(), ID: 77}
	frags := FragmentIPv4(&h, ProtoUDP, datagram, 1003) // rounds down to 1000

	if len(frags) != 4 {
		t.Fatalf("got %d fragments, want 4", len(frags))
	}
	d := ip4defrag.NewIPv4Defragmenter()
	var whole *layers.IPv4
	for i, f := range frags {
		field := binary.BigEndian.Uint16(f[6:])
		if got, want := int(field&0x1fff)*8, i*1000; got != want {
			t.Errorf("fragment %d: offset %d, want %d", i, got, want)
		}
		if more := field&0x2000 != 0; more != (i < len(frags)-1) {
			t.Errorf("fragment %d: more fragments %v", i, more)
		}
		if Checksum(f[:20]) != 0 {
			t.Errorf("fragment %d: bad header checksum", i)
		}
		ip := gopacket.NewPacket(f, layers.LayerTypeIPv4, gopacket.Default).
			Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		var err error
		if whole, err = d.DefragIPv4(ip); err != nil {
			t.Fatal(err)
		}
	}
	if whole == nil || !bytes.Equal(whole.Payload, datagram) {
		t.Errorf("reassembled datagram differs from the original")
	}
}

// TestFragmentIPv6 checks the fragment headers and that the fragments'
// payloads rebuild the datagram.
func TestFragmentIPv6(t *testing.T) {
	datagram := AppendUDP(nil, testSrc6, testDst6, bytes.Repeat([]byte("abcdefgh"), 400))
	h := IPv6{Src: testSrc6.Addr(), Dst: testDst6.Addr(), Ext: []ExtHeader{HopByHop(RouterAlert6)}}
	frags := FragmentIPv6(&h, ProtoUDP, datagram, 1232, 0xabcdef)

	var rebuilt []byte
	for i, f := range frags {
		pkt := gopacket.NewPacket(f, layers.LayerTypeIPv6, gopacket.Default)
		frag, ok := pkt.Layer(layers.LayerTypeIPv6Fragment).(*layers.IPv6Fragment)
		if !ok {
			t.Fatalf("fragment %d: no fragment header (%v)", i, pkt.ErrorLayer())
		}
		if got, want := int(frag.FragmentOffset)*8, len(rebuilt); got != want {
			t.Errorf("fragment %d: offset %d, want %d", i, got, want)
		}
		if frag.MoreFragments != (i < len(frags)-1) || frag.Identification != 0xabcdef {
			t.Errorf("fragment %d: more %v id %#x", i, frag.MoreFragments, frag.Identification)
		}
		if frag.NextHeader != layers.IPProtocolUDP {
			t.Errorf("fragment %d: next header %v, want UDP", i, frag.NextHeader)
		}
		if got := int(binary.BigEndian.Uint16(f[4:])) + 40; got != len(f) {
			t.Errorf("fragment %d: payload length gives %d bytes, have %d", i, got, len(f))
		}
		rebuilt = append(rebuilt, frag.Payload...)
	}
	if !bytes.Equal(rebuilt, datagram) {
		t.Errorf("reassembled datagram differs from the original")
	}
}

// TestConnSequence checks the sequence and acknowledgment numbers of a
// connection whose server sequence numbers wrap.
func TestConnSequence(t *testing.T) {
	c := NewConn(testSrc4, testDst4, 1000, 0xfffffff0)
	hs := c.Handshake()
	if hs[0].Header.Seq != 1000 || hs[0].Header.Flags != SYN {
		t.Errorf("SYN: seq %d flags %v", hs[0].Header.Seq, hs[0].Header.Flags)
	}
	if hs[1].Header.Seq != 0xfffffff0 || hs[1].Header.Ack != 1001 {
		t.Errorf("SYN-ACK: seq %#x ack %d", hs[1].Header.Seq, hs[1].Header.Ack)
	}
	if hs[2].Header.Seq != 1001 || hs[2].Header.Ack != 0xfffffff1 {
		t.Errorf("ACK: seq %d ack %#x", hs[2].Header.Seq, hs[2].Header.Ack)
	}

	segs := c.Send(false, make([]byte, 40), 1, 20)
	wantSeq := []uint32{0xfffffff1, 0xfffffff2, 0x00000006}
	wantLen := []int{1, 20, 19}
	for i, s := range segs {
		if s.Header.Seq != wantSeq[i] || len(s.Payload) != wantLen[i] || s.Header.Ack != 1001 {
			t.Errorf("segment %d: seq %#x len %d ack %d, want %#x %d 1001",
				i, s.Header.Seq, len(s.Payload), s.Header.Ack, wantSeq[i], wantLen[i])
		}
	}
	if segs[2].Header.Flags != PSH|ACK || segs[0].Header.Flags != ACK {
		t.Errorf("flags %v %v, want PSH only on the last", segs[0].Header.Flags, segs[2].Header.Flags)
	}

	fin := c.Close(true)
	if fin[0].Header.Seq != 1001 || fin[1].Header.Ack != 1002 || fin[2].Header.Ack != 0x1a {
		t.Errorf("close: seq %d, ack %d, last ack %#x", fin[0].Header.Seq, fin[1].Header.Ack,
			fin[2].Header.Ack)
	}
}

// TestLinkFrames decodes UDP frames on every link type with gopacket.
func TestLinkFrames(t *testing.T) {
	tests := []struct {
		name     string
		link     Link
		decodeAs layers.LinkType
		v6       bool
		want     gopacket.LayerType
	}{
		{"ethernet", Link{Type: LinkEthernet}, layers.LinkTypeEthernet, false, layers.LayerTypeEthernet},
		{"vlan", Link{Type: LinkEthernet, VLANs: []uint16{101}}, layers.LinkTypeEthernet, true,
			layers.LayerTypeDot1Q},
		{"qinq", Link{Type: LinkEthernet, VLANs: []uint16{300, 101}}, layers.LinkTypeEthernet,
			false, layers.LayerTypeDot1Q},
		{"sll", Link{Type: LinkSLL}, layers.LinkTypeLinuxSLL, true, layers.LayerTypeLinuxSLL},
		{"sll2", Link{Type: LinkSLL2, IfIndex: 3}, layers.LinkTypeLinuxSLL2, false,
			layers.LayerTypeLinuxSLL2},
		{"raw4", Link{Type: LinkRaw}, layers.LinkTypeRaw, false, layers.LayerTypeIPv4},
		{"raw6", Link{Type: LinkIPv6}, layers.LinkTypeRaw, true, layers.LayerTypeIPv6},
		{"null", Link{Type: LinkNull}, layers.LinkTypeNull, false, layers.LayerTypeLoopback},
		{"null6-be", Link{Type: LinkNull, BigEndian: true, Family6: FamilyINET6Mac},
			layers.LinkTypeNull, true, layers.LayerTypeLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := testSrc4, testDst4
			if tt.v6 {
				src, dst = testSrc6, testDst6
			}
			var f Framer
			p := Path{Link: tt.link}
			frame := f.UDP(&p, src, dst, []byte("dns?"))

			pkt := gopacket.NewPacket(frame, tt.decodeAs, gopacket.Default)
			if pkt.Layer(tt.want) == nil {
				t.Errorf("no %v layer in %v", tt.want, pkt.Layers())
			}
			udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if !ok {
				t.Fatalf("no UDP layer: %v", pkt.ErrorLayer())
			}
			if udp.DstPort != 53 || !bytes.HasPrefix(udp.Payload, []byte("dns?")) {
				t.Errorf("UDP port %d payload %q", udp.DstPort, udp.Payload)
			}
		})
	}
}

// TestQinQTags checks the tag protocol identifiers of a QinQ frame.
func TestQinQTags(t *testing.T) {
	l := Link{Type: LinkEthernet, VLANs: []uint16{300, 101}}
	frame := l.AppendFrame(nil, []byte{0x45})
	got := []uint16{
		binary.BigEndian.Uint16(frame[12:]), binary.BigEndian.Uint16(frame[14:]),
		binary.BigEndian.Uint16(frame[16:]), binary.BigEndian.Uint16(frame[18:]),
		binary.BigEndian.Uint16(frame[20:]),
	}
	want := []uint16{EtherQinQ, 300, EtherVLAN, 101, EtherIPv4}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d = %#04x, want %#04x", i, got[i], want[i])
		}
	}
}

// TestPcapTimestamps reads back records with pcapgo and checks the
// timestamp resolution of each variant.
func TestPcapTimestamps(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	tests := []struct {
		opt  PcapOptions
		want time.Time
	}{
		{PcapOptions{LinkType: LinkRaw}, at.Truncate(time.Microsecond)},
		{PcapOptions{LinkType: LinkRaw, BigEndian: true}, at.Truncate(time.Microsecond)},
		{PcapOptions{LinkType: LinkRaw, Nanosecond: true}, at},
		{PcapOptions{LinkType: LinkRaw, Nanosecond: true, BigEndian: true, Snaplen: 4}, at},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w, err := NewPcapWriter(&buf, tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrame(at, []byte{0x45, 0, 0, 20, 9, 9}, 0); err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewReader(&buf)
		if err != nil {
			t.Fatalf("%+v: %v", tt.opt, err)
		}
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("%+v: %v", tt.opt, err)
		}
		if !ci.Timestamp.Equal(tt.want) || ci.Length != 6 || len(data) != min(6, int(w.opt.Snaplen)) {
			t.Errorf("%+v: time %v len %d/%d, want %v", tt.opt, ci.Timestamp, len(data), ci.Length,
				tt.want)
		}
	}
}

// TestNgTimestamps checks pcapng timestamps at decimal resolutions against
// pcapgo in both byte orders, and at a binary resolution by decoding the
// packet block (pcapgo scales 2^-n units with a truncated integer factor).
func TestNgTimestamps(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	resols := []struct {
		resol uint8
		tick  time.Duration
	}{{0, time.Microsecond}, {TSResolNano, 1}, {TSResolPow2 | 20, time.Second / (1 << 20)}}
	for _, bigEndian := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := NewNgWriter(&buf, bigEndian)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resols {
			if _, err := w.AddInterface(NgInterface{LinkType: LinkRaw, TSResol: r.resol}); err != nil {
				t.Fatal(err)
			}
		}
		var last int
		for i := range resols {
			last = buf.Len()
			if err := w.WriteFrame(i, at, []byte{0x45, 0, 0, 20, 1}, 0); err != nil {
				t.Fatal(err)
			}
		}
		checkBinaryTimestamp(t, buf.Bytes()[last:], w.order, at)

		r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		for i, res := range resols[:2] {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				t.Fatalf("big endian %v, frame %d: %v", bigEndian, i, err)
			}
			if d := at.Sub(ci.Timestamp); d < 0 || d >= res.tick || ci.InterfaceIndex != i ||
				len(data) != 5 {
				t.Errorf("big endian %v, interface %d: time %v (off by %v), len %d",
					bigEndian, ci.InterfaceIndex, ci.Timestamp, d, len(data))
			}
		}
	}
}

// checkBinaryTimestamp decodes the timestamp of an Enhanced Packet Block
// written at a resolution of 2^-20 s and compares it with at.
func checkBinaryTimestamp(t *testing.T, epb []byte, order binary.ByteOrder, at time.Time) {
	t.Helper()
	units := uint64(order.Uint32(epb[12:]))<<32 | uint64(order.Uint32(epb[16:]))
	sec, frac := units>>20, units&(1<<20-1)
	got := time.Unix(int64(sec), int64(frac*uint64(time.Second)>>20)).UTC()
	if d := at.Sub(got); d < 0 || d >= time.Second>>20 {
		t.Errorf("2^-20 timestamp %v, want %v (off by %v)", got, at, d)
	}
}

// TestAddInterfaceRejectsResolution checks that unsupported resolutions are
// refused.
func TestAddInterfaceRejectsResolution(t *testing.T) {
	w, err := NewNgWriter(new(bytes.Buffer), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, resol := range []uint8{12, TSResolPow2 | 40} {
		if _, err := w.AddInterface(NgInterface{LinkType: LinkRaw, TSResol: resol}); err == nil {
			t.Errorf("if_tsresol %#x accepted", resol)
		}
	}
	if err := w.WriteFrame(0, time.Time{}, nil, 0); err == nil {
		t.Errorf("frame on a missing interface accepted")
	}
}

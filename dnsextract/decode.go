package dnsextract

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"pdnsx/pcapread"
)

// Link types the decoder understands (LINKTYPE_ values from tcpdump.org).
const (
	linkNull     pcapread.LinkType = 0
	linkEthernet pcapread.LinkType = 1
	linkRaw12    pcapread.LinkType = 12 // DLT_RAW on some BSDs
	linkRaw14    pcapread.LinkType = 14 // DLT_RAW on OpenBSD
	linkRaw      pcapread.LinkType = 101
	linkLoop     pcapread.LinkType = 108 // OpenBSD loopback, family in network byte order
	linkSLL      pcapread.LinkType = 113
	linkIPv4     pcapread.LinkType = 228
	linkIPv6     pcapread.LinkType = 229
	linkSLL2     pcapread.LinkType = 276
)

// packet is a frame decoded as far as its transport layer. Its byte slices
// alias the frame and are valid only while the frame is.
type packet struct {
	time      time.Time
	ref       FrameRef
	link      pcapread.LinkType
	frame     []byte // the whole frame, for the encapsulation path
	transport Transport
	src, dst  netip.AddrPort
	payload   []byte
	frames    []FrameRef // frames of a reassembled IP datagram; nil for one frame

	// TCP only.
	seq, ackNum        uint32
	syn, fin, rst, ack bool

	// An IP fragment (transport is then zero).
	frag fragment
}

// skipReason says why a frame was not decoded as far as UDP or TCP. The zero
// value means the frame was ordinary traffic without UDP or TCP (ARP, ICMP),
// which is not counted as skipped.
type skipReason struct {
	what string // "link type", "undecodable after", "unsupported"
	n    int64  // link type or layer type number
}

// frameDecoder decodes frames up to UDP or TCP with preallocated layers, so a
// frame costs no allocation. It is not safe for concurrent use.
type frameDecoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	ext   layers.IPv6ExtensionSkipper
	frag6 layers.IPv6Fragment
	udp   layers.UDP
	tcp   layers.TCP

	byFirst map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	pathBuf []byte
	vlans   [4]uint16
	paths   map[string]string // interned encapsulation paths, at most maxInternedPaths
	last    string            // the path returned last, which most frames share

	tun tunnels // tunnel and uncommon link layers (tunnel.go)
}

// maxInternedPaths bounds the encapsulation paths without tunnels interned
// (VLAN IDs make up to 2^24 of them), and those the fragment table extends;
// a table restarts when full.
const maxInternedPaths = 4096

func newFrameDecoder() *frameDecoder {
	d := &frameDecoder{
		byFirst: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser),
		decoded: make([]gopacket.LayerType, 0, 16),
		paths:   make(map[string]string),
	}
	firsts := []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	}
	firsts = append(firsts, tunnelFirsts...)
	d.tun.init()
	// The extension skipper comes before the fragment layer so that the
	// fragment header is decoded by the latter.
	container := d.tun.container(&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6,
		&d.ext, &d.frag6, &d.udp, &d.tcp)
	for _, first := range firsts {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(container)
		d.byFirst[first] = p
	}
	return d
}

// firstLayer returns the layer a frame of the given link type starts with.
func firstLayer(link pcapread.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch link {
	case linkEthernet:
		return layers.LayerTypeEthernet, true
	case linkSLL:
		return layers.LayerTypeLinuxSLL, true
	case linkSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case linkNull, linkLoop:
		if first, ok := nullFraming(link, data); ok {
			return first, true // PPP or Cisco HDLC framing (tunnel.go)
		}
		return layers.LayerTypeLoopback, true
	case linkIPv6:
		return layers.LayerTypeIPv6, true
	case linkRaw, linkRaw12, linkRaw14, linkIPv4:
		// LINKTYPE_IPV4 frames holding IPv6 are decoded too, as Wireshark does.
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return tunnelFirstLayer(link, data)
}

// decode decodes f into p and reports true when it reached UDP or TCP, or an
// IP fragment (p.frag.ok). Otherwise the reason says why; its zero value
// means ordinary traffic.
func (d *frameDecoder) decode(f *pcapread.Frame, p *packet) (skipReason, bool) {
	first, ok := firstLayer(f.LinkType, f.Data)
	if !ok {
		return skipReason{"link type", int64(f.LinkType)}, false
	}
	parser := d.byFirst[first]
	err := d.decodeLayers(parser, f.Data)

	last := gopacket.LayerTypeZero
	var ip gopacket.LayerType
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			ip = t
		}
		last = t
	}
	p.time = f.Time
	p.link = f.LinkType
	p.frame = f.Data
	p.frames = nil
	p.frag.ok = false
	if last != layers.LayerTypeUDP && last != layers.LayerTypeTCP {
		if d.fragment(ip, last, p) {
			return skipReason{}, true
		}
		return d.classify(err, ip, last)
	}

	src, dst := d.addrs(ip)
	if last == layers.LayerTypeUDP {
		p.transport = UDP
		p.src = netip.AddrPortFrom(src, uint16(d.udp.SrcPort))
		p.dst = netip.AddrPortFrom(dst, uint16(d.udp.DstPort))
		p.payload = d.udp.Payload
		return skipReason{}, true
	}
	p.transport = TCP
	p.src = netip.AddrPortFrom(src, uint16(d.tcp.SrcPort))
	p.dst = netip.AddrPortFrom(dst, uint16(d.tcp.DstPort))
	p.payload = d.tcp.Payload
	p.seq, p.ackNum = d.tcp.Seq, d.tcp.Ack
	p.syn, p.fin, p.rst, p.ack = d.tcp.SYN, d.tcp.FIN, d.tcp.RST, d.tcp.ACK
	return skipReason{}, true
}

// classify explains why a frame stopped before UDP or TCP.
func (d *frameDecoder) classify(err error, ip, last gopacket.LayerType) (skipReason, bool) {
	if r, ok := err.(*skipReason); ok {
		return *r, false // a tunnel or link header said why
	}
	var unsupported gopacket.UnsupportedLayerType
	switch {
	case err == nil:
		return skipReason{}, false
	case errors.As(err, &unsupported):
		if ip != gopacket.LayerTypeZero || ordinaryNonIP(gopacket.LayerType(unsupported)) {
			// ICMP, fragments, ESP and the like above IP; ARP beside it.
			return skipReason{}, false
		}
		return skipReason{"unsupported", int64(unsupported)}, false
	}
	return skipReason{"undecodable after", int64(last)}, false
}

// ordinaryNonIP reports layers that never carry IP, so frames stopping there
// are not counted as skipped.
func ordinaryNonIP(t gopacket.LayerType) bool {
	switch t {
	case layers.LayerTypeARP, layers.LayerTypeLLC, layers.LayerTypeEAPOL,
		layers.LayerTypeLinkLayerDiscovery, layers.LayerTypeCiscoDiscovery,
		layers.LayerTypeEthernetCTP, gopacket.LayerTypePayload:
		return true
	}
	return false
}

// addrs returns the addresses of the innermost IP layer decoded.
func (d *frameDecoder) addrs(ip gopacket.LayerType) (src, dst netip.Addr) {
	if ip == layers.LayerTypeIPv4 {
		src, _ = netip.AddrFromSlice(d.ip4.SrcIP)
		dst, _ = netip.AddrFromSlice(d.ip4.DstIP)
		return src, dst
	}
	src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
	dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
	return src, dst
}

// path returns the encapsulation path of the frame decoded last, such as
// "eth/vlan:101/ipv4/udp". Paths are interned: a frame on a path seen before
// costs no allocation.
func (d *frameDecoder) path(frame []byte) string {
	if len(d.tun.marks) > 0 {
		return d.tunnelPath(frame)
	}
	b := d.pathBuf[:0]
	vlans := vlanIDs(d.vlans[:0], frame, d.decoded)
	for _, t := range d.decoded {
		name := layerName(t)
		if name == "" {
			continue
		}
		if len(b) > 0 {
			b = append(b, '/')
		}
		b = append(b, name...)
		if t == layers.LayerTypeDot1Q && len(vlans) > 0 {
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(vlans[0]), 10)
			vlans = vlans[1:]
		}
	}
	d.pathBuf = b
	if string(b) == d.last {
		return d.last
	}
	s, ok := d.paths[string(b)]
	if !ok {
		if len(d.paths) >= maxInternedPaths {
			clear(d.paths)
		}
		s = string(b)
		d.paths[s] = s
	}
	d.last = s
	return s
}

// layerName names a layer in an encapsulation path; "" leaves it out.
func layerName(t gopacket.LayerType) string {
	switch t {
	case layers.LayerTypeEthernet:
		return "eth"
	case layers.LayerTypeDot1Q:
		return "vlan"
	case layers.LayerTypeLinuxSLL:
		return "sll"
	case layers.LayerTypeLinuxSLL2:
		return "sll2"
	case layers.LayerTypeLoopback:
		return "null"
	case layers.LayerTypeIPv4:
		return "ipv4"
	case layers.LayerTypeIPv6:
		return "ipv6"
	case layers.LayerTypeUDP:
		return "udp"
	case layers.LayerTypeTCP:
		return "tcp"
	}
	return ""
}

// vlanIDs appends to ids the VLAN identifiers of the 802.1Q and 802.1ad
// tags of an Ethernet frame, outermost first. The decoding layer keeps only
// the last tag, so the identifiers are read from the frame itself.
func vlanIDs(ids []uint16, frame []byte, decoded []gopacket.LayerType) []uint16 {
	if len(decoded) == 0 || decoded[0] != layers.LayerTypeEthernet {
		return ids
	}
	for off := 12; off+4 <= len(frame) && len(ids) < cap(ids); off += 4 {
		switch binary.BigEndian.Uint16(frame[off:]) {
		case 0x8100, 0x88a8, 0x9100:
			ids = append(ids, binary.BigEndian.Uint16(frame[off+2:])&0x0fff)
		default:
			return ids
		}
	}
	return ids
}

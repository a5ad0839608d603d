package capgen

import "net/netip"

// Path describes how packets between two hosts are wrapped below the
// transport layer: the link-layer header and the IP header extras.
type Path struct {
	Link        Link
	TTL         uint8       // IPv4 TTL or IPv6 hop limit; 0 means 64
	IPv4Options []byte      // options of IPv4 headers
	IPv6Ext     []ExtHeader // extension headers of IPv6 headers
}

// Framer builds whole frames, reusing its buffers: a frame it returns is
// valid only until its next call. It numbers IPv4 headers with a running
// identification counter. The zero value is ready to use.
type Framer struct {
	seg, ip, frame []byte
	ipID           uint16
}

// UDP returns the frame of a UDP datagram from src to dst on path p.
func (f *Framer) UDP(p *Path, src, dst netip.AddrPort, payload []byte) []byte {
	f.seg = AppendUDP(f.seg[:0], src, dst, payload)
	return f.Packet(p, src.Addr(), dst.Addr(), ProtoUDP, f.seg)
}

// TCP returns the frame of a TCP segment from src to dst on path p.
func (f *Framer) TCP(p *Path, src, dst netip.AddrPort, h *TCPHeader, payload []byte) []byte {
	f.seg = AppendTCP(f.seg[:0], src, dst, h, payload)
	return f.Packet(p, src.Addr(), dst.Addr(), ProtoTCP, f.seg)
}

// Packet returns the frame of an IP packet from src to dst carrying the
// transport segment seg of protocol proto.
func (f *Framer) Packet(p *Path, src, dst netip.Addr, proto uint8, seg []byte) []byte {
	f.ip = f.ip[:0]
	if src.Is4() {
		h := f.IPv4Header(p, src, dst)
		f.ip = h.Append(f.ip, proto, seg)
	} else {
		h := IPv6{Src: src, Dst: dst, HopLimit: p.TTL, Ext: p.IPv6Ext}
		f.ip = h.Append(f.ip, proto, seg)
	}
	return f.Frame(p, f.ip)
}

// IPv4Header returns the IPv4 header path p gives a packet from src to dst,
// taking the next identification number.
func (f *Framer) IPv4Header(p *Path, src, dst netip.Addr) IPv4 {
	f.ipID++
	return IPv4{Src: src, Dst: dst, ID: f.ipID, TTL: p.TTL, Options: p.IPv4Options}
}

// Frame returns the frame carrying the IP packet ip on path p.
func (f *Framer) Frame(p *Path, ip []byte) []byte {
	f.frame = p.Link.AppendFrame(f.frame[:0], ip)
	return f.frame
}

// Reverse returns the path of the packets going the other way: Ethernet
// addresses swapped, and the SLL packet type turned between outgoing and
// addressed to this host.
func (p Path) Reverse() Path {
	p.Link.Src, p.Link.Dst = p.Link.Dst, p.Link.Src
	switch p.Link.PacketType {
	case PacketHost:
		p.Link.PacketType = PacketOutgoing
	case PacketOutgoing:
		p.Link.PacketType = PacketHost
	}
	return p
}

package capgen

import (
	"encoding/binary"
	"net/netip"
)

// defaultTTL is the IPv4 TTL and IPv6 hop limit used when a header leaves
// it zero.
const defaultTTL = 64

// IPv4 describes an IPv4 header (RFC 791). Length, protocol, fragment fields
// and checksum are filled in when the packet is appended.
type IPv4 struct {
	Src, Dst     netip.Addr
	TOS          uint8
	ID           uint16
	DontFragment bool
	TTL          uint8  // 0 means 64
	Options      []byte // raw option bytes, padded with end-of-options to 4 bytes
}

// Append appends an IPv4 packet carrying payload of protocol proto.
func (h *IPv4) Append(b []byte, proto uint8, payload []byte) []byte {
	b = h.appendHeader(b, proto, len(payload), 0, false)
	return append(b, payload...)
}

// appendHeader appends the header of a packet (or fragment) whose payload
// is n bytes and starts at byte offset of the original payload.
func (h *IPv4) appendHeader(b []byte, proto uint8, n, offset int, more bool) []byte {
	start := len(b)
	hlen := 20 + (len(h.Options)+3)&^3
	ttl := h.TTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	frag := uint16(offset / 8)
	if more {
		frag |= 0x2000
	}
	if h.DontFragment {
		frag |= 0x4000
	}

	b = append(b, 0x40|byte(hlen/4), h.TOS)
	b = binary.BigEndian.AppendUint16(b, uint16(hlen+n))
	b = binary.BigEndian.AppendUint16(b, h.ID)
	b = binary.BigEndian.AppendUint16(b, frag)
	b = append(b, ttl, proto, 0, 0)
	src, dst := h.Src.As4(), h.Dst.As4()
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	b = append(b, h.Options...)
	for len(b)-start < hlen {
		b = append(b, 0)
	}

	binary.BigEndian.PutUint16(b[start+10:], Checksum(b[start:]))
	return b
}

// RouterAlert is the IPv4 Router Alert option (RFC 2113), a common option
// on real traffic.
var RouterAlert = []byte{0x94, 0x04, 0x00, 0x00}

// ExtHeader is one IPv6 extension header (RFC 8200 section 4): its type
// (ProtoHopByHop, ProtoDestOpts or ProtoRouting) and the bytes after the
// Next Header and Hdr Ext Len fields. Build them with HopByHop, DestOptions
// and RoutingHeader, which pad the data to a multiple of 8 bytes.
type ExtHeader struct {
	Type uint8
	Data []byte
}

// HopByHop returns a hop-by-hop options header holding the given options
// (each a complete type-length-value), padded with PadN.
func HopByHop(options ...[]byte) ExtHeader {
	return ExtHeader{Type: ProtoHopByHop, Data: padOptions(options)}
}

// DestOptions returns a destination options header holding the given
// options, padded with PadN.
func DestOptions(options ...[]byte) ExtHeader {
	return ExtHeader{Type: ProtoDestOpts, Data: padOptions(options)}
}

// RouterAlert6 is the IPv6 Router Alert option (RFC 2711) for MLD.
var RouterAlert6 = []byte{0x05, 0x02, 0x00, 0x00}

// padOptions joins TLV options and pads them with Pad1 or PadN (RFC 8200
// section 4.2) so that the header is a multiple of 8 bytes long.
func padOptions(options [][]byte) []byte {
	var data []byte
	for _, o := range options {
		data = append(data, o...)
	}
	switch pad := (8 - (len(data)+2)%8) % 8; pad {
	case 0:
	case 1:
		data = append(data, 0)
	default:
		data = append(data, 1, byte(pad-2))
		data = append(data, make([]byte, pad-2)...)
	}
	return data
}

// Routing types of RoutingHeader.
const (
	RoutingType0   uint8 = 0 // deprecated by RFC 5095, still seen on old captures
	RoutingSegment uint8 = 4 // Segment Routing Header (RFC 8754)
)

// RoutingHeader returns a routing header (RFC 8200 section 4.4) of the given
// routing type listing addrs, with Segments Left 0: the packet is already at
// its final destination, so checksums use the IPv6 destination address. For
// a Segment Routing Header, addrs[0] is that final destination and Last
// Entry is filled in.
func RoutingHeader(routingType uint8, addrs ...netip.Addr) ExtHeader {
	data := []byte{routingType, 0, 0, 0, 0, 0}
	if routingType == RoutingSegment && len(addrs) > 0 {
		data[2] = byte(len(addrs) - 1)
	}
	for _, a := range addrs {
		a16 := a.As16()
		data = append(data, a16[:]...)
	}
	return ExtHeader{Type: ProtoRouting, Data: data}
}

// IPv6 describes an IPv6 header (RFC 8200) and the extension headers that
// follow it.
type IPv6 struct {
	Src, Dst     netip.Addr
	TrafficClass uint8
	FlowLabel    uint32
	HopLimit     uint8 // 0 means 64
	Ext          []ExtHeader
}

// Append appends an IPv6 packet carrying payload of protocol proto after
// the extension headers.
func (h *IPv6) Append(b []byte, proto uint8, payload []byte) []byte {
	b = h.appendHeader(b, h.firstNext(proto), h.extLen()+len(payload))
	b = h.appendExt(b, proto)
	return append(b, payload...)
}

// firstNext is the Next Header value of the fixed header when the chain
// ends in proto.
func (h *IPv6) firstNext(proto uint8) uint8 {
	if len(h.Ext) > 0 {
		return h.Ext[0].Type
	}
	return proto
}

// extLen is the length of the extension headers in bytes.
func (h *IPv6) extLen() int {
	n := 0
	for _, e := range h.Ext {
		n += 2 + len(e.Data)
	}
	return n
}

// appendHeader appends the 40-byte fixed header.
func (h *IPv6) appendHeader(b []byte, next uint8, payloadLen int) []byte {
	hop := h.HopLimit
	if hop == 0 {
		hop = defaultTTL
	}
	word := 6<<28 | uint32(h.TrafficClass)<<20 | h.FlowLabel&0xfffff
	b = binary.BigEndian.AppendUint32(b, word)
	b = binary.BigEndian.AppendUint16(b, uint16(payloadLen))
	b = append(b, next, hop)
	src, dst := h.Src.As16(), h.Dst.As16()
	b = append(b, src[:]...)
	return append(b, dst[:]...)
}

// appendExt appends the extension headers, the last one pointing at last.
func (h *IPv6) appendExt(b []byte, last uint8) []byte {
	for i, e := range h.Ext {
		next := last
		if i+1 < len(h.Ext) {
			next = h.Ext[i+1].Type
		}
		b = append(b, next, byte((2+len(e.Data))/8-1))
		b = append(b, e.Data...)
	}
	return b
}

// AppendIP appends an IPv4 or IPv6 packet from src to dst, chosen by the
// address family, with default header fields and the given IPv4 ID.
func AppendIP(b []byte, src, dst netip.Addr, id uint16, proto uint8, payload []byte) []byte {
	if src.Is4() {
		h := IPv4{Src: src, Dst: dst, ID: id}
		return h.Append(b, proto, payload)
	}
	h := IPv6{Src: src, Dst: dst}
	return h.Append(b, proto, payload)
}

package dnsextract

import "encoding/binary"

// Most frames of a gateway capture are TCP segments and UDP datagrams
// between ports that are not DNS. The layer parser takes about 180 ns to
// tell (BenchmarkFrameDecode/plain-tcp); ordinary tells from a few header
// fields in a tenth of that, and the parser then decodes only the rest.

// Header fields ordinary reads.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherDot1Q = 0x8100
	etherQinQ  = 0x88a8

	ipProtoTCP = 6
	ipProtoUDP = 17
)

// maxOrdinaryTags is the number of 802.1Q and 802.1ad tags ordinary looks
// behind.
const maxOrdinaryTags = 2

// ordinary reports whether an Ethernet frame plainly holds a TCP segment or
// a UDP datagram of no interest: an IPv4 header without options or an IPv6
// header without extension headers, behind at most two VLAN tags, not a
// fragment, then a whole TCP or UDP header whose ports are neither in dns
// nor a UDP tunnel's. It is a shortcut, never a filter of its own: for such
// a frame the layer parser too reaches TCP or UDP with those ports, which
// Frame then passes over without counting the frame as skipped, and any
// frame it is unsure of (options, truncation, another layout) it leaves to
// the parser by returning false.
func ordinary(data []byte, dns *portSet) bool {
	off := 12
	etherType := uint16(0)
	for tags := 0; ; tags++ {
		if off+2 > len(data) {
			return false
		}
		etherType = binary.BigEndian.Uint16(data[off:])
		if etherType != etherDot1Q && etherType != etherQinQ || tags == maxOrdinaryTags {
			break // a third tag is left in etherType, which the switch below refuses
		}
		off += 4
	}
	ip := data[off+2:]

	var proto byte
	var transport []byte
	switch etherType {
	case etherIPv4:
		if len(ip) < 20 || ip[0] != 0x45 {
			return false // not version 4, or options follow the header
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return false // a fragment: more fragments, or an offset
		}
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if total < 20 || total > len(ip) {
			return false // TSO's zero, nonsense or a truncated frame
		}
		proto, transport = ip[9], ip[20:total]
	case etherIPv6:
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return false
		}
		payload := int(binary.BigEndian.Uint16(ip[4:]))
		if payload == 0 || 40+payload > len(ip) {
			return false // a jumbogram, or a truncated frame
		}
		proto, transport = ip[6], ip[40:40+payload]
	default:
		return false
	}

	switch proto {
	case ipProtoTCP:
		if len(transport) < 20 {
			return false
		}
		if offset := int(transport[12] >> 4); offset < 5 || 4*offset > len(transport) {
			return false
		}
	case ipProtoUDP:
		if len(transport) < 8 {
			return false
		}
		if n := binary.BigEndian.Uint16(transport[4:]); n != 0 && n < 8 {
			return false
		}
	default:
		return false
	}
	src := binary.BigEndian.Uint16(transport)
	dst := binary.BigEndian.Uint16(transport[2:])
	if dns.has(src) || dns.has(dst) {
		return false
	}
	return proto == ipProtoTCP || !tunnelPort(src, dst)
}

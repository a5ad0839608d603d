package capgen

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers (the IPv4 Protocol and IPv6 Next Header values).
const (
	ProtoHopByHop uint8 = 0
	ProtoTCP      uint8 = 6
	ProtoUDP      uint8 = 17
	ProtoRouting  uint8 = 43
	ProtoFragment uint8 = 44
	ProtoNoNext   uint8 = 59
	ProtoDestOpts uint8 = 60
)

// AppendUDP appends a UDP datagram (RFC 768) from src to dst carrying
// payload, with its checksum computed over the IPv4 or IPv6 pseudo-header.
func AppendUDP(b []byte, src, dst netip.AddrPort, payload []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	b = append(b, 0, 0)
	b = append(b, payload...)

	sum := transportChecksum(src.Addr(), dst.Addr(), ProtoUDP, b[start:])
	if sum == 0 {
		sum = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(b[start+6:], sum)
	return b
}

// TCPFlags is the flags byte of a TCP header.
type TCPFlags uint8

// TCP flags (RFC 9293 section 3.1).
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
)

// TCPHeader holds the fields of a TCP header that a caller chooses; ports
// come from the addresses given to AppendTCP.
type TCPHeader struct {
	Seq     uint32
	Ack     uint32
	Flags   TCPFlags
	Window  uint16
	Options []byte // raw option bytes, padded with end-of-option-list to 4 bytes
}

// AppendTCP appends a TCP segment (RFC 9293) from src to dst with header h
// and payload, with its checksum.
func AppendTCP(b []byte, src, dst netip.AddrPort, h *TCPHeader, payload []byte) []byte {
	start := len(b)
	optLen := (len(h.Options) + 3) &^ 3
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint32(b, h.Seq)
	b = binary.BigEndian.AppendUint32(b, h.Ack)
	b = append(b, byte((20+optLen)/4)<<4, byte(h.Flags))
	b = binary.BigEndian.AppendUint16(b, h.Window)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	b = append(b, h.Options...)
	for range optLen - len(h.Options) {
		b = append(b, 0)
	}
	b = append(b, payload...)

	sum := transportChecksum(src.Addr(), dst.Addr(), ProtoTCP, b[start:])
	binary.BigEndian.PutUint16(b[start+16:], sum)
	return b
}

// SynOptions returns the options of a typical SYN: maximum segment size,
// SACK permitted and window scale (RFC 9293, RFC 2018, RFC 7323).
func SynOptions(mss uint16, windowScale uint8) []byte {
	return []byte{
		2, 4, byte(mss >> 8), byte(mss),
		4, 2, // SACK permitted
		1, // no-operation
		3, 3, windowScale,
	}
}

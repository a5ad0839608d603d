package capgen

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
)

// Encoders of tunnel headers and uncommon link layers. Each appends its
// header and the payload it carries; the caller stacks them, innermost first.

// Link types of the tunnel scenarios.
const (
	LinkPPP       LinkType = 9   // PPP, optionally with HDLC address and control bytes
	LinkPPPSerial LinkType = 50  // PPP in HDLC-like framing, or Cisco HDLC
	LinkCHDLC     LinkType = 104 // Cisco HDLC
	LinkIEEE80211 LinkType = 105 // 802.11 frames, no radio header, no FCS
	LinkLoop      LinkType = 108 // OpenBSD loopback: address family in big-endian
	LinkRadiotap  LinkType = 127 // radiotap header, then an 802.11 frame
	LinkNFLOG     LinkType = 239 // Linux NFLOG
	LinkPKTAP     LinkType = 258 // Apple PKTAP
)

// EtherTypes of the tunnel encoders (IEEE registry; GRE protocol types use
// the same numbers).
const (
	EtherTEB      uint16 = 0x6558 // transparent Ethernet bridging: an Ethernet frame
	EtherERSPAN   uint16 = 0x88be // ERSPAN type I and II
	EtherERSPAN3  uint16 = 0x22eb // ERSPAN type III
	EtherPPP      uint16 = 0x880b // PPP, as PPTP carries it in GRE
	EtherMPLS     uint16 = 0x8847 // MPLS unicast
	EtherPPPoE    uint16 = 0x8864 // PPPoE session stage
	EtherPPPoEDis uint16 = 0x8863 // PPPoE discovery stage
)

// IP protocol numbers of tunnels.
const (
	ProtoIPIP    uint8 = 4  // IPv4 in IP (RFC 2003)
	ProtoIPv6    uint8 = 41 // IPv6 in IP (RFC 4213)
	ProtoGRE     uint8 = 47
	ProtoEtherIP uint8 = 97 // Ethernet in IP (RFC 3378)
)

// PPP protocol numbers (RFC 1661, IANA PPP DLL protocol numbers).
const (
	PPPIPv4 uint16 = 0x0021
	PPPIPv6 uint16 = 0x0057
	PPPLCP  uint16 = 0xc021
)

// Tunnel UDP ports.
const (
	PortGTPU   uint16 = 2152
	PortTeredo uint16 = 3544
	PortVXLAN  uint16 = 4789
	PortGeneve uint16 = 6081
)

// AppendEthernet appends an Ethernet II frame with l's addresses and VLAN
// tags carrying payload of the given EtherType.
func AppendEthernet(b []byte, l *Link, ethertype uint16, payload []byte) []byte {
	b = l.appendEthernet(b, ethertype)
	return append(b, payload...)
}

// IPEtherType returns the EtherType of an IPv4 or IPv6 packet, by its
// version nibble.
func IPEtherType(ip []byte) uint16 {
	if len(ip) > 0 && ip[0]>>4 == 6 {
		return EtherIPv6
	}
	return EtherIPv4
}

// GRE describes a GRE header: RFC 2784 with the key and sequence number of
// RFC 2890, or with Version 1 the enhanced GRE of PPTP (RFC 2637 section
// 4.1), whose key holds the payload length and CallID.
type GRE struct {
	Protocol uint16 // EtherType of the payload; 0 means IPv4 or IPv6 by its version
	Checksum bool   // C bit: a checksum over header and payload
	HasKey   bool
	Key      uint32
	HasSeq   bool
	Seq      uint32
	Version  uint8 // 0, or 1 for PPTP (the key is then always present)
	CallID   uint16
	HasAck   bool // PPTP acknowledgment number
	Ack      uint32
}

// Append appends the GRE packet carrying payload.
func (g *GRE) Append(b, payload []byte) []byte {
	start := len(b)
	proto := g.Protocol
	if proto == 0 {
		proto = IPEtherType(payload)
	}
	key, hasKey := g.Key, g.HasKey
	if g.Version == 1 {
		key, hasKey = uint32(len(payload))<<16|uint32(g.CallID), true
	}

	var flags0, flags1 byte
	flags1 = g.Version & 0x07
	if g.Checksum {
		flags0 |= 0x80
	}
	if hasKey {
		flags0 |= 0x20
	}
	if g.HasSeq {
		flags0 |= 0x10
	}
	if g.Version == 1 && g.HasAck {
		flags1 |= 0x80
	}
	b = append(b, flags0, flags1)
	b = binary.BigEndian.AppendUint16(b, proto)
	if g.Checksum {
		b = append(b, 0, 0, 0, 0)
	}
	if hasKey {
		b = binary.BigEndian.AppendUint32(b, key)
	}
	if g.HasSeq {
		b = binary.BigEndian.AppendUint32(b, g.Seq)
	}
	if g.Version == 1 && g.HasAck {
		b = binary.BigEndian.AppendUint32(b, g.Ack)
	}
	b = append(b, payload...)
	if g.Checksum {
		binary.BigEndian.PutUint16(b[start+4:], Checksum(b[start:]))
	}
	return b
}

// ERSPAN2 describes an ERSPAN type II header (draft-foschiano-erspan-03
// section 4.2). It goes in GRE with protocol EtherERSPAN and a sequence
// number.
type ERSPAN2 struct {
	Session uint16 // 10 bits
	VLAN    uint16 // 12 bits: the VLAN of the mirrored frame
	Index   uint32 // 20 bits: port index
}

// Append appends the header and the mirrored Ethernet frame.
func (e *ERSPAN2) Append(b, frame []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, 1<<12|e.VLAN&0x0fff)
	b = binary.BigEndian.AppendUint16(b, e.Session&0x03ff)
	b = binary.BigEndian.AppendUint32(b, e.Index&0x000fffff)
	return append(b, frame...)
}

// ERSPAN3 describes an ERSPAN type III header (draft-foschiano-erspan-03
// section 4.3). It goes in GRE with protocol EtherERSPAN3 and a sequence
// number.
type ERSPAN3 struct {
	Session   uint16 // 10 bits
	VLAN      uint16 // 12 bits
	Timestamp uint32
	FrameType uint8 // 0 Ethernet, 2 IP
	Platform  bool  // O bit: an 8-byte platform-specific subheader follows
}

// Append appends the header and the mirrored frame.
func (e *ERSPAN3) Append(b, frame []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, 2<<12|e.VLAN&0x0fff)
	b = binary.BigEndian.AppendUint16(b, e.Session&0x03ff)
	b = binary.BigEndian.AppendUint32(b, e.Timestamp)
	last := uint16(e.FrameType&0x1f) << 10
	if e.Platform {
		last |= 1
	}
	b = append(b, 0, 0) // security group tag
	b = binary.BigEndian.AppendUint16(b, last)
	if e.Platform {
		b = append(b, 0x0c, 0, 0, 0, 0, 0, 0, 0) // platform ID 3, no timestamp
	}
	return append(b, frame...)
}

// AppendVXLAN appends a VXLAN header (RFC 7348 section 5) with the I flag
// and the given network identifier, and the Ethernet frame.
func AppendVXLAN(b []byte, vni uint32, frame []byte) []byte {
	b = append(b, 0x08, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, vni<<8)
	return append(b, frame...)
}

// Geneve describes a Geneve header (RFC 8926 section 3.4).
type Geneve struct {
	VNI      uint32
	Protocol uint16 // EtherType of the payload
	Options  []byte // whole option TLVs; padded with zeros to 4 bytes
}

// Append appends the header and the payload.
func (g *Geneve) Append(b, payload []byte) []byte {
	opts := (len(g.Options) + 3) / 4
	b = append(b, byte(opts&0x3f), 0)
	b = binary.BigEndian.AppendUint16(b, g.Protocol)
	b = binary.BigEndian.AppendUint32(b, g.VNI<<8)
	b = append(b, g.Options...)
	for range opts*4 - len(g.Options) {
		b = append(b, 0)
	}
	return append(b, payload...)
}

// GTPU describes a GTP-U version 1 header (3GPP TS 29.281 section 5.1).
type GTPU struct {
	MessageType uint8 // 0 means 255, a G-PDU carrying Payload
	TEID        uint32
	HasSeq      bool
	Seq         uint16
	// QFI, when non-zero, adds a PDU session container extension header
	// (TS 38.415) with this QoS flow identifier, as 5G user planes send.
	QFI uint8
}

// Append appends the header and the payload.
func (g *GTPU) Append(b, payload []byte) []byte {
	mt := g.MessageType
	if mt == 0 {
		mt = 255
	}
	flags := byte(0x30) // version 1, protocol type GTP
	var ext []byte
	if g.QFI != 0 {
		flags |= 0x04
		ext = []byte{1, 0x00, g.QFI & 0x3f, 0} // one 4-byte word, then no next header
	}
	if g.HasSeq {
		flags |= 0x02
	}
	opt := flags&0x07 != 0
	length := len(payload) + len(ext)
	if opt {
		length += 4
	}
	b = append(b, flags, mt)
	b = binary.BigEndian.AppendUint16(b, uint16(length))
	b = binary.BigEndian.AppendUint32(b, g.TEID)
	if opt {
		next := byte(0)
		if ext != nil {
			next = 0x85 // PDU session container
		}
		b = binary.BigEndian.AppendUint16(b, g.Seq)
		b = append(b, 0, next)
	}
	b = append(b, ext...)
	return append(b, payload...)
}

// AppendTeredo appends the Teredo framing of an IPv6 packet (RFC 4380
// section 5.1.1): when origin is valid, an origin indication carrying it
// obfuscated, then the packet.
func AppendTeredo(b []byte, origin netip.AddrPort, ipv6 []byte) []byte {
	if origin.IsValid() {
		a := origin.Addr().As4()
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint16(b, ^origin.Port())
		b = append(b, ^a[0], ^a[1], ^a[2], ^a[3])
	}
	return append(b, ipv6...)
}

// AppendMPLS appends an MPLS label stack (RFC 3032), the last label marked
// bottom of stack, each with TTL 64; with controlWord, a pseudowire control
// word of zeros (RFC 4385) follows the stack. Then the payload.
func AppendMPLS(b []byte, labels []uint32, controlWord bool, payload []byte) []byte {
	for i, label := range labels {
		entry := label<<12 | 64
		if i == len(labels)-1 {
			entry |= 1 << 8
		}
		b = binary.BigEndian.AppendUint32(b, entry)
	}
	if controlWord {
		b = append(b, 0, 0, 0, 0)
	}
	return append(b, payload...)
}

// AppendPPPoE appends a PPPoE session header (RFC 2516 section 4) and the
// PPP frame it carries.
func AppendPPPoE(b []byte, session uint16, ppp []byte) []byte {
	b = append(b, 0x11, 0x00)
	b = binary.BigEndian.AppendUint16(b, session)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ppp)))
	return append(b, ppp...)
}

// AppendPPP appends a PPP frame (RFC 1661): with hdlc, the address and
// control bytes 0xff 0x03 of RFC 1662; the protocol in one byte when
// compressed is set and it fits (RFC 1661 section 6.5), else in two.
func AppendPPP(b []byte, hdlc, compressed bool, protocol uint16, payload []byte) []byte {
	if hdlc {
		b = append(b, 0xff, 0x03)
	}
	if compressed && protocol < 0x100 {
		b = append(b, byte(protocol))
	} else {
		b = binary.BigEndian.AppendUint16(b, protocol)
	}
	return append(b, payload...)
}

// AppendCHDLC appends a Cisco HDLC unicast header and the payload of the
// given EtherType.
func AppendCHDLC(b []byte, ethertype uint16, payload []byte) []byte {
	b = append(b, 0x0f, 0x00)
	b = binary.BigEndian.AppendUint16(b, ethertype)
	return append(b, payload...)
}

// NFLOG attribute types (linux/netfilter/nfnetlink_log.h).
const (
	nflogPacketHdr = 1
	nflogPayload   = 9
	nflogPrefix    = 10
)

// AppendNFLOG appends a Linux NFLOG record: the 4-byte header (address
// family, version 0, group in big-endian) and the attributes a log rule
// writes (packet header, prefix, payload), their lengths and types in the
// capturing host's byte order (little-endian unless bigEndianHost).
func AppendNFLOG(b []byte, group uint16, prefix string, ip []byte, bigEndianHost bool) []byte {
	family, proto := byte(2), EtherIPv4
	if IPEtherType(ip) == EtherIPv6 {
		family, proto = 10, EtherIPv6
	}
	b = append(b, family, 0)
	b = binary.BigEndian.AppendUint16(b, group)

	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndianHost {
		order = binary.BigEndian
	}
	hdr := binary.BigEndian.AppendUint16(nil, proto)
	b = appendNFLOGAttr(b, order, nflogPacketHdr, append(hdr, 3, 0)) // hook LOCAL_OUT
	b = appendNFLOGAttr(b, order, nflogPrefix, append([]byte(prefix), 0))
	return appendNFLOGAttr(b, order, nflogPayload, ip)
}

// appendNFLOGAttr appends one attribute padded to 4 bytes.
func appendNFLOGAttr(b []byte, order binary.AppendByteOrder, typ uint16, value []byte) []byte {
	b = order.AppendUint16(b, uint16(4+len(value)))
	b = order.AppendUint16(b, typ)
	b = append(b, value...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// pktapHeaderLen is the length of the PKTAP header macOS writes.
const pktapHeaderLen = 108

// AppendPKTAP appends an Apple PKTAP header (little-endian, as macOS
// writes it) for a packet of link type link captured on interface ifname by
// process pid named command, and the packet.
func AppendPKTAP(b []byte, link LinkType, ifname string, pid uint32, command string,
	packet []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, pktapHeaderLen)
	b = binary.LittleEndian.AppendUint32(b, 1) // a packet record
	b = binary.LittleEndian.AppendUint32(b, uint32(link))
	b = appendFixed(b, ifname, 24)
	b = binary.LittleEndian.AppendUint32(b, 2) // outgoing
	b = binary.LittleEndian.AppendUint32(b, uint32(FamilyINET))
	b = binary.LittleEndian.AppendUint32(b, 14) // link-layer header length
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, pid)
	b = appendFixed(b, command, 20)
	for len(b)-start < pktapHeaderLen {
		b = append(b, 0)
	}
	return append(b, packet...)
}

// appendFixed appends s in a NUL-padded field of n bytes.
func appendFixed(b []byte, s string, n int) []byte {
	field := make([]byte, n)
	copy(field[:n-1], s)
	return append(b, field...)
}

// Radiotap present bits written by AppendRadiotap.
const (
	radiotapTSFT    = 1 << 0
	radiotapFlags   = 1 << 1
	radiotapRate    = 1 << 2
	radiotapChannel = 1 << 3
	radiotapSignal  = 1 << 5
	radiotapAntenna = 1 << 11
	radiotapFlagFCS = 0x10
)

// AppendRadiotap appends a radiotap header (radiotap.org) with a TSFT,
// flags, rate, channel (2437 MHz), signal and antenna, then the 802.11
// frame; with fcs, the flags say so and the frame's CRC-32 follows it.
func AppendRadiotap(b []byte, tsft uint64, fcs bool, frame []byte) []byte {
	start := len(b)
	present := uint32(radiotapTSFT | radiotapFlags | radiotapRate | radiotapChannel |
		radiotapSignal | radiotapAntenna)
	b = append(b, 0, 0, 24, 0) // version, pad, length 24
	b = binary.LittleEndian.AppendUint32(b, present)
	b = binary.LittleEndian.AppendUint64(b, tsft)
	flags := byte(0)
	if fcs {
		flags |= radiotapFlagFCS
	}
	b = append(b, flags, 108) // flags, 54 Mb/s
	b = binary.LittleEndian.AppendUint16(b, 2437)
	b = binary.LittleEndian.AppendUint16(b, 0x00c0) // 2 GHz, OFDM
	b = append(b, byte(0xc4), 1)                    // -60 dBm, antenna 1
	if len(b)-start != 24 {
		panic("capgen: radiotap header length")
	}
	b = append(b, frame...)
	if fcs {
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(frame))
	}
	return b
}

// Dot11 describes an IEEE 802.11 data frame header (IEEE 802.11-2020
// section 9.3.2.1).
type Dot11 struct {
	ToDS, FromDS bool
	QoS          bool // a QoS data frame, with a QoS control field
	Protected    bool // the payload is encrypted
	Addr1, Addr2 HWAddr
	Addr3, Addr4 HWAddr // Addr4 only when both ToDS and FromDS
	Seq          uint16
}

// Append appends the 802.11 data frame carrying payload behind an LLC/SNAP
// header (RFC 1042) of the given EtherType.
func (h *Dot11) Append(b []byte, ethertype uint16, payload []byte) []byte {
	fc0 := byte(2 << 2) // data
	if h.QoS {
		fc0 |= 8 << 4
	}
	var fc1 byte
	if h.ToDS {
		fc1 |= 0x01
	}
	if h.FromDS {
		fc1 |= 0x02
	}
	if h.Protected {
		fc1 |= 0x40
	}
	b = append(b, fc0, fc1, 0x2c, 0x00) // duration 44 µs
	b = append(b, h.Addr1[:]...)
	b = append(b, h.Addr2[:]...)
	b = append(b, h.Addr3[:]...)
	b = binary.LittleEndian.AppendUint16(b, h.Seq<<4)
	if h.ToDS && h.FromDS {
		b = append(b, h.Addr4[:]...)
	}
	if h.QoS {
		b = append(b, 0, 0) // TID 0, no A-MSDU
	}
	return AppendLLCSNAP(b, ethertype, payload)
}

// AppendLLCSNAP appends an LLC header with SNAP (RFC 1042: DSAP and SSAP
// 0xaa, UI, OUI 0) for the given EtherType, then the payload.
func AppendLLCSNAP(b []byte, ethertype uint16, payload []byte) []byte {
	b = append(b, 0xaa, 0xaa, 0x03, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, ethertype)
	return append(b, payload...)
}

// AppendLoop appends an OpenBSD loopback header (LINKTYPE_LOOP): the
// address family in big-endian, 2 for IPv4 and 24 for IPv6, then the
// packet.
func AppendLoop(b, ip []byte) []byte {
	family := FamilyINET
	if IPEtherType(ip) == EtherIPv6 {
		family = FamilyINET6BSD
	}
	b = binary.BigEndian.AppendUint32(b, family)
	return append(b, ip...)
}

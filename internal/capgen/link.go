package capgen

import "encoding/binary"

// LinkType is a LINKTYPE_ value from the tcpdump.org registry, as stored in
// pcap file headers and pcapng interface blocks.
type LinkType uint16

// Link types the frame builders produce.
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte address family in host byte order
	LinkEthernet LinkType = 1   // Ethernet II, optionally with 802.1Q / 802.1ad tags
	LinkRaw12    LinkType = 12  // raw IP as DLT_RAW is numbered on most BSDs
	LinkRaw14    LinkType = 14  // raw IP as DLT_RAW is numbered on OpenBSD
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228 // raw IPv4 only
	LinkIPv6     LinkType = 229 // raw IPv6 only
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Ethertypes written by the Ethernet and Linux cooked encoders.
const (
	EtherIPv4  uint16 = 0x0800
	EtherIPv6  uint16 = 0x86dd
	EtherVLAN  uint16 = 0x8100 // IEEE 802.1Q customer tag
	EtherQinQ  uint16 = 0x88a8 // IEEE 802.1ad service tag
	arphrdEth  uint16 = 1      // ARPHRD_ETHER, the hardware type of SLL headers
	sllAddrLen        = 6
)

// BSD address families for IPv6 in LinkNull headers, which differ between
// systems; IPv4 is 2 everywhere.
const (
	FamilyINET     uint32 = 2
	FamilyINET6BSD uint32 = 24 // NetBSD, OpenBSD, BSD/OS
	FamilyINET6Fre uint32 = 28 // FreeBSD, DragonFly BSD
	FamilyINET6Mac uint32 = 30 // macOS
)

// Linux packet types in SLL and SLL2 headers.
const (
	PacketHost     uint8 = 0 // addressed to this host
	PacketOutgoing uint8 = 4 // sent by this host
)

// HWAddr is an Ethernet MAC address.
type HWAddr [6]byte

// Link describes the link-layer header that wraps an IP packet.
type Link struct {
	Type LinkType

	// Ethernet and Linux cooked captures. SLL headers carry Src only.
	Src, Dst HWAddr

	// VLANs are the 802.1Q VLAN IDs of an Ethernet frame, outermost first.
	// With two or more tags, all but the innermost use the 802.1ad TPID.
	VLANs []uint16

	// Pad pads Ethernet frames to the 60-byte minimum with zero bytes, as
	// received frames often are.
	Pad bool

	// PacketType and IfIndex fill SLL and SLL2 headers.
	PacketType uint8
	IfIndex    uint32

	// BigEndian writes a LinkNull family in big-endian order (a capture
	// taken on a big-endian host); Family6 is its IPv6 family value
	// (FamilyINET6BSD when zero).
	BigEndian bool
	Family6   uint32
}

// AppendFrame appends a frame carrying the IPv4 or IPv6 packet ip (its
// version is read from the first byte).
func (l *Link) AppendFrame(b, ip []byte) []byte {
	v6 := len(ip) > 0 && ip[0]>>4 == 6
	ethertype := EtherIPv4
	if v6 {
		ethertype = EtherIPv6
	}

	start := len(b)
	switch l.Type {
	case LinkEthernet:
		b = l.appendEthernet(b, ethertype)
	case LinkSLL:
		b = l.appendSLL(b, ethertype)
	case LinkSLL2:
		b = l.appendSLL2(b, ethertype)
	case LinkNull:
		b = l.appendNull(b, v6)
	}
	b = append(b, ip...)

	for l.Pad && l.Type == LinkEthernet && len(b)-start < 60 {
		b = append(b, 0)
	}
	return b
}

// appendEthernet appends an Ethernet II header with the VLAN tags.
func (l *Link) appendEthernet(b []byte, ethertype uint16) []byte {
	b = append(b, l.Dst[:]...)
	b = append(b, l.Src[:]...)
	for i, vid := range l.VLANs {
		tpid := EtherVLAN
		if i < len(l.VLANs)-1 {
			tpid = EtherQinQ
		}
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, vid&0x0fff)
	}
	return binary.BigEndian.AppendUint16(b, ethertype)
}

// appendSLL appends a Linux cooked v1 header (16 bytes).
func (l *Link) appendSLL(b []byte, ethertype uint16) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(l.PacketType))
	b = binary.BigEndian.AppendUint16(b, arphrdEth)
	b = binary.BigEndian.AppendUint16(b, sllAddrLen)
	b = append(b, l.Src[:]...)
	b = append(b, 0, 0)
	return binary.BigEndian.AppendUint16(b, ethertype)
}

// appendSLL2 appends a Linux cooked v2 header (20 bytes).
func (l *Link) appendSLL2(b []byte, ethertype uint16) []byte {
	b = binary.BigEndian.AppendUint16(b, ethertype)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, l.IfIndex)
	b = binary.BigEndian.AppendUint16(b, arphrdEth)
	b = append(b, l.PacketType, sllAddrLen)
	b = append(b, l.Src[:]...)
	return append(b, 0, 0)
}

// appendNull appends the 4-byte BSD loopback family.
func (l *Link) appendNull(b []byte, v6 bool) []byte {
	family := FamilyINET
	if v6 {
		family = l.Family6
		if family == 0 {
			family = FamilyINET6BSD
		}
	}
	if l.BigEndian {
		return binary.BigEndian.AppendUint32(b, family)
	}
	return binary.LittleEndian.AppendUint32(b, family)
}

package dnsextract

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"pdnsx/pcapread"
)

// The tunnel and link layers of tunnel.go. Each decodes its header without
// allocating, bounds every length by the bytes present, leaves a mark for
// the encapsulation path, and says in stopped why nothing after it was
// decoded. Where gopacket has a correct decoder that does not allocate, the
// layer wraps it.

// tunnelBase is embedded by the layers of this file.
type tunnelBase struct {
	layers.BaseLayer
	tun *tunnels
}

func (b *tunnelBase) attach(t *tunnels) { b.tun = t }

// header sets the layer's contents and payload and marks it.
func (b *tunnelBase) header(data []byte, n int, m mark) error {
	b.Contents, b.Payload = data[:n], data[n:]
	m.next = b.Payload
	return b.tun.mark(m)
}

// GRE (RFC 2784, keys and sequence numbers RFC 2890, PPTP's enhanced GRE
// RFC 2637 section 4.1), decoded by gopacket, which allocates only for the
// source routes of RFC 1701.
type greLayer struct {
	layers.GRE
	tun *tunnels
}

// GRE protocol types gopacket has no name for.
const (
	greERSPAN3 = 0x22eb // ERSPAN type III (draft-foschiano-erspan-03)
	grePPP     = 0x880b // PPTP
)

func (g *greLayer) attach(t *tunnels) { g.tun = t }

func (g *greLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := g.GRE.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if g.Version > 1 {
		return g.tun.failN("gre version %d", uint32(g.Version))
	}
	m := mark{layer: layers.LayerTypeGRE, name: "gre", next: g.Payload}
	if g.Version == 0 && g.KeyPresent {
		// Only version 0 keys: a PPTP key holds the payload length and a call
		// ID that differs per direction.
		m.id, m.hasID = g.Key, true
	}
	return g.tun.mark(m)
}

func (g *greLayer) NextLayerType() gopacket.LayerType {
	switch g.Protocol {
	case layers.EthernetTypeERSPAN:
		// Type I has no ERSPAN header and no sequence number; type II has both.
		if !g.SeqPresent {
			return layers.LayerTypeEthernet
		}
		return layers.LayerTypeERSPANII
	case greERSPAN3:
		return layerTypeERSPAN3
	case grePPP:
		return layers.LayerTypePPP
	}
	return etherLayer(uint16(g.Protocol))
}

func (g *greLayer) stopped() skipReason {
	if len(g.Payload) == 0 {
		return skipReason{} // keepalive
	}
	return g.tun.reason("gre protocol 0x%04x", uint32(g.Protocol))
}

// ERSPAN type II (draft-foschiano-erspan-03 section 4.2), decoded by
// gopacket.
type erspan2Layer struct {
	layers.ERSPANII
	tun *tunnels
}

func (e *erspan2Layer) attach(t *tunnels) { e.tun = t }

func (e *erspan2Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := e.ERSPANII.DecodeFromBytes(data, df); err != nil {
		return err
	}
	return e.tun.mark(mark{layer: layers.LayerTypeERSPANII, name: "erspan",
		id: uint32(e.SessionID), hasID: true, next: e.Payload})
}

func (e *erspan2Layer) stopped() skipReason { return skipReason{} }

// erspan3Layer is ERSPAN type III (draft-foschiano-erspan-03 section 4.3):
//
//	Ver(4) VLAN(12) | COS(3) BSO(2) T(1) Session ID(10)
//	Timestamp(32)
//	SGT(16) | P(1) FT(5) HW ID(6) D(1) Gra(2) O(1)
//	[platform specific subheader, 8 bytes, when O is set]
type erspan3Layer struct {
	tunnelBase
	frameType uint8
}

func (e *erspan3Layer) LayerType() gopacket.LayerType     { return layerTypeERSPAN3 }
func (e *erspan3Layer) CanDecode() gopacket.LayerClass    { return layerTypeERSPAN3 }
func (e *erspan3Layer) NextLayerType() gopacket.LayerType { return e.next() }

func (e *erspan3Layer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 12 || data[0]>>4 != 2 {
		return e.tun.fail("erspan type iii header bad")
	}
	n := 12
	if data[11]&0x01 != 0 {
		n += 8
	}
	if len(data) < n {
		return e.tun.fail("erspan type iii header bad")
	}
	e.frameType = data[10] >> 2 & 0x1f
	session := uint32(binary.BigEndian.Uint16(data[2:]) & 0x03ff)
	return e.header(data, n, mark{layer: layerTypeERSPAN3, name: "erspan", id: session,
		hasID: true})
}

func (e *erspan3Layer) next() gopacket.LayerType {
	switch e.frameType {
	case 0:
		return layers.LayerTypeEthernet
	case 2:
		return ipVersionLayer(e.Payload)
	}
	return gopacket.LayerTypeZero
}

func (e *erspan3Layer) stopped() skipReason {
	if len(e.Payload) == 0 {
		return skipReason{}
	}
	return e.tun.reason("erspan frame type %d", uint32(e.frameType))
}

// EtherIP (RFC 3378), decoded by gopacket.
type etherIPLayer struct {
	layers.EtherIP
	tun *tunnels
}

func (e *etherIPLayer) attach(t *tunnels) { e.tun = t }

func (e *etherIPLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := e.EtherIP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if e.Version != 3 {
		return e.tun.failN("etherip version %d", uint32(e.Version))
	}
	return e.tun.mark(mark{layer: layers.LayerTypeEtherIP, name: "etherip", next: e.Payload})
}

func (e *etherIPLayer) stopped() skipReason { return skipReason{} }

// VXLAN (RFC 7348 section 5), decoded by gopacket.
type vxlanLayer struct {
	layers.VXLAN
	tun *tunnels
}

func (v *vxlanLayer) attach(t *tunnels) { v.tun = t }

func (v *vxlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := v.VXLAN.DecodeFromBytes(data, df); err != nil {
		return v.tun.fail("vxlan header cut short")
	}
	if !v.ValidIDFlag {
		return v.tun.fail("vxlan header without the I flag")
	}
	return v.tun.mark(mark{layer: layers.LayerTypeVXLAN, name: "vxlan", id: v.VNI,
		hasID: true, next: v.Payload})
}

func (v *vxlanLayer) stopped() skipReason { return skipReason{} }

// geneveLayer is Geneve (RFC 8926 section 3.4), decoded by hand because
// gopacket's decoder allocates each option:
//
//	Ver(2) Opt Len(6) | O(1) C(1) Rsvd(6) | Protocol Type(16)
//	VNI(24) | Reserved(8)
//	options, Opt Len 4-byte words
type geneveLayer struct {
	tunnelBase
	protocol uint16
}

func (g *geneveLayer) LayerType() gopacket.LayerType  { return layers.LayerTypeGeneve }
func (g *geneveLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeGeneve }

func (g *geneveLayer) NextLayerType() gopacket.LayerType { return etherLayer(g.protocol) }

func (g *geneveLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 8 || data[0]>>6 != 0 {
		return g.tun.fail("geneve header bad")
	}
	n := 8 + int(data[0]&0x3f)*4
	if len(data) < n {
		return g.tun.fail("geneve header bad")
	}
	g.protocol = binary.BigEndian.Uint16(data[2:])
	vni := binary.BigEndian.Uint32(data[4:]) >> 8
	return g.header(data, n, mark{layer: layers.LayerTypeGeneve, name: "geneve", id: vni,
		hasID: true})
}

func (g *geneveLayer) stopped() skipReason {
	if len(g.Payload) == 0 {
		return skipReason{}
	}
	return g.tun.reason("geneve protocol 0x%04x", uint32(g.protocol))
}

// gtpLayer is GTP-U version 1 (3GPP TS 29.281 section 5), decoded by hand
// because gopacket's decoder allocates each extension header:
//
//	Version(3) PT(1) (*)(1) E(1) S(1) PN(1) | Message Type(8) | Length(16)
//	TEID(32)
//	[Sequence Number(16) | N-PDU Number(8) | Next Extension Header Type(8)]
//	extension headers: Length(8, 4-byte words) | contents | Next Type(8)
type gtpLayer struct {
	tunnelBase
	messageType uint8
}

// gtpGPDU is the message type of a G-PDU, which carries a user packet.
const gtpGPDU = 255

func (g *gtpLayer) LayerType() gopacket.LayerType  { return layers.LayerTypeGTPv1U }
func (g *gtpLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeGTPv1U }

func (g *gtpLayer) NextLayerType() gopacket.LayerType {
	if g.messageType != gtpGPDU {
		return gopacket.LayerTypeZero
	}
	return ipVersionLayer(g.Payload)
}

func (g *gtpLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 8 || data[0]>>5 != 1 || data[0]&0x10 == 0 {
		return g.tun.fail("gtp-u header bad")
	}
	g.messageType = data[1]
	end := min(8+int(binary.BigEndian.Uint16(data[2:])), len(data))
	n := 8
	if data[0]&0x07 != 0 {
		var ok bool
		if n, ok = gtpExtensions(data[:end]); !ok {
			return g.tun.fail("gtp-u header bad")
		}
	}
	return g.header(data[:end], n, mark{layer: layers.LayerTypeGTPv1U, name: "gtp"})
}

// gtpExtensions returns the length of a GTP-U header with the optional
// fields and the extension headers.
func gtpExtensions(b []byte) (int, bool) {
	if len(b) < 12 {
		return 0, false
	}
	n, next := 12, b[11]
	for next != 0 {
		if len(b) < n+1 || b[n] == 0 || len(b) < n+int(b[n])*4 {
			return 0, false
		}
		n += int(b[n]) * 4
		next = b[n-1]
	}
	return n, true
}

func (g *gtpLayer) stopped() skipReason {
	if g.messageType != gtpGPDU || len(g.Payload) == 0 {
		return skipReason{} // echo, error indication, end marker
	}
	return skipReason{"gtp-u payload not ip", -1}
}

// teredoLayer is Teredo (RFC 4380 section 5.1.1): an IPv6 packet in UDP,
// after an optional authentication indicator and an optional origin
// indication. A bubble (RFC 4380 section 2.8: an IPv6 header with no
// payload and no next header) is control traffic.
type teredoLayer struct {
	tunnelBase
	bubble bool
}

func (l *teredoLayer) LayerType() gopacket.LayerType  { return layerTypeTeredo }
func (l *teredoLayer) CanDecode() gopacket.LayerClass { return layerTypeTeredo }

func (l *teredoLayer) NextLayerType() gopacket.LayerType {
	if l.bubble || ipVersionLayer(l.Payload) != layers.LayerTypeIPv6 {
		return gopacket.LayerTypeZero
	}
	return layers.LayerTypeIPv6
}

func (l *teredoLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	n := 0
	if len(data) >= 4 && data[0] == 0 && data[1] == 1 {
		// Authentication: 0x0001, ID-len, AU-len, client ID, authentication
		// value, nonce (8 bytes), confirmation byte.
		n = 4 + int(data[2]) + int(data[3]) + 9
	}
	if len(data) >= n+8 && data[n] == 0 && data[n+1] == 0 {
		n += 8 // origin indication: 0x0000, obfuscated port and address
	}
	if len(data) < n {
		return l.tun.fail("teredo indicator cut short")
	}
	ip := data[n:]
	l.bubble = len(ip) >= 40 && ip[0]>>4 == 6 && ip[4] == 0 && ip[5] == 0 && ip[6] == 59
	return l.header(data, n, mark{layer: layerTypeTeredo, name: "teredo"})
}

func (l *teredoLayer) stopped() skipReason {
	if l.bubble || len(l.Payload) == 0 {
		return skipReason{}
	}
	return skipReason{"teredo payload not ipv6", -1}
}

// mplsLayer is one MPLS label stack entry (RFC 3032 section 2.1):
//
//	Label(20) | TC(3) | S(1) | TTL(8)
//
// After the bottom of the stack comes IPv4 or IPv6 (by the version nibble),
// or a pseudowire control word (first nibble 0, RFC 4385) and an Ethernet
// frame (RFC 4448). A first nibble 1 is the associated channel (RFC 5586),
// which is OAM.
type mplsLayer struct {
	tunnelBase
	bottom bool
}

func (m *mplsLayer) LayerType() gopacket.LayerType  { return layers.LayerTypeMPLS }
func (m *mplsLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeMPLS }

func (m *mplsLayer) NextLayerType() gopacket.LayerType {
	switch {
	case !m.bottom:
		return layers.LayerTypeMPLS
	case len(m.Contents) == 8:
		return layers.LayerTypeEthernet
	}
	return ipVersionLayer(m.Payload)
}

func (m *mplsLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 4 {
		return m.tun.fail("mpls label cut short")
	}
	m.bottom = data[2]&0x01 != 0
	n := 4
	if m.bottom && len(data) >= 8 && data[4]>>4 == 0 {
		n = 8 // pseudowire control word
	}
	return m.header(data, n, mark{layer: layers.LayerTypeMPLS, name: "mpls"})
}

func (m *mplsLayer) stopped() skipReason {
	if len(m.Payload) == 0 || m.Payload[0]>>4 == 1 {
		return skipReason{}
	}
	return skipReason{"mpls payload not ip or ethernet", -1}
}

// pppoeLayer is a PPPoE header (RFC 2516 section 4):
//
//	Ver(4)=1 | Type(4)=1 | Code(8) | Session ID(16) | Length(16)
//
// Session data (code 0) carries PPP; discovery is control traffic.
type pppoeLayer struct {
	tunnelBase
	code uint8
}

func (p *pppoeLayer) LayerType() gopacket.LayerType  { return layers.LayerTypePPPoE }
func (p *pppoeLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypePPPoE }

func (p *pppoeLayer) NextLayerType() gopacket.LayerType {
	if p.code != 0 {
		return gopacket.LayerTypeZero
	}
	return layers.LayerTypePPP
}

func (p *pppoeLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 6 || data[0] != 0x11 {
		return p.tun.fail("pppoe header bad")
	}
	p.code = data[1]
	end := min(6+int(binary.BigEndian.Uint16(data[4:])), len(data))
	session := uint32(binary.BigEndian.Uint16(data[2:]))
	return p.header(data[:end], 6, mark{layer: layers.LayerTypePPPoE, name: "pppoe",
		id: session, hasID: p.code == 0})
}

func (p *pppoeLayer) stopped() skipReason { return skipReason{} }

// pppLayer is a PPP header (RFC 1661 section 2), with the HDLC address and
// control bytes of RFC 1662 section 3.1 when the frame starts with 0xff (the
// control byte is not checked, as Wireshark does not), and a one- or
// two-byte protocol field.
type pppLayer struct {
	tunnelBase
	protocol uint16
}

// PPP protocols carried on.
const (
	pppIPv4 = 0x0021
	pppIPv6 = 0x0057
	pppMPLS = 0x0281
	pppMPLM = 0x0283 // MPLS multicast
)

func (p *pppLayer) LayerType() gopacket.LayerType  { return layers.LayerTypePPP }
func (p *pppLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypePPP }

func (p *pppLayer) NextLayerType() gopacket.LayerType {
	switch p.protocol {
	case pppIPv4:
		return layers.LayerTypeIPv4
	case pppIPv6:
		return layers.LayerTypeIPv6
	case pppMPLS, pppMPLM:
		return layers.LayerTypeMPLS
	}
	return gopacket.LayerTypeZero
}

func (p *pppLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	n := 0
	if len(data) >= 2 && data[0] == 0xff {
		n = 2
	}
	switch {
	case len(data) > n && data[n]&0x01 != 0:
		p.protocol = uint16(data[n]) // compressed protocol field (RFC 1661 section 6.5)
		n++
	case len(data) >= n+2 && data[n+1]&0x01 != 0:
		p.protocol = binary.BigEndian.Uint16(data[n:])
		n += 2
	default:
		return p.tun.fail("ppp protocol field bad")
	}
	return p.header(data, n, mark{layer: layers.LayerTypePPP, name: "ppp"})
}

// stopped counts network-layer protocols (below 0x8000) not carried on:
// compressed or encrypted datagrams, IPX, multilink. Control protocols
// (LCP, IPCP, authentication) are ordinary.
func (p *pppLayer) stopped() skipReason {
	if p.protocol >= 0x8000 || len(p.Payload) == 0 {
		return skipReason{}
	}
	return p.tun.reason("ppp protocol 0x%04x", uint32(p.protocol))
}

// chdlcLayer is Cisco HDLC: address 0x0f or 0x8f, control 0, and an
// EtherType.
type chdlcLayer struct {
	tunnelBase
	protocol uint16
}

// Cisco HDLC control protocols.
const (
	chdlcSLARP = 0x8035
	chdlcCDP   = 0x2000
)

func (c *chdlcLayer) LayerType() gopacket.LayerType     { return layerTypeCHDLC }
func (c *chdlcLayer) CanDecode() gopacket.LayerClass    { return layerTypeCHDLC }
func (c *chdlcLayer) NextLayerType() gopacket.LayerType { return etherLayer(c.protocol) }

func (c *chdlcLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 4 || (data[0] != 0x0f && data[0] != 0x8f) {
		return c.tun.fail("cisco hdlc header bad")
	}
	c.protocol = binary.BigEndian.Uint16(data[2:])
	return c.header(data, 4, mark{layer: layerTypeCHDLC, name: "chdlc"})
}

func (c *chdlcLayer) stopped() skipReason {
	if c.protocol == chdlcSLARP || c.protocol == chdlcCDP || len(c.Payload) == 0 {
		return skipReason{}
	}
	return c.tun.reason("cisco hdlc protocol 0x%04x", uint32(c.protocol))
}

// nflogLayer is Linux NFLOG (LINKTYPE_NFLOG): a 4-byte header (address
// family, version 0, resource ID) and type-length-value attributes whose
// length and type are in the capturing host's byte order, each padded to 4
// bytes. The packet is the NFULA_PAYLOAD attribute.
type nflogLayer struct {
	tunnelBase
	family  uint8
	payload bool
}

// NFLOG constants (linux/netfilter/nfnetlink_log.h, linux/socket.h).
const (
	nflogPayload  = 9      // NFULA_PAYLOAD
	nflogTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	afINET        = 2
	afINET6       = 10
)

func (l *nflogLayer) LayerType() gopacket.LayerType  { return layerTypeNFLOG }
func (l *nflogLayer) CanDecode() gopacket.LayerClass { return layerTypeNFLOG }

func (l *nflogLayer) NextLayerType() gopacket.LayerType {
	switch {
	case !l.payload:
		return gopacket.LayerTypeZero
	case l.family == afINET:
		return layers.LayerTypeIPv4
	case l.family == afINET6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

func (l *nflogLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 4 || data[1] != 0 {
		return l.tun.fail("nflog header bad")
	}
	l.family = data[0]
	order := nflogOrder(data[4:])
	l.payload = false
	for off := 4; off+4 <= len(data); {
		n := int(order.Uint16(data[off:]))
		if n < 4 || off+n > len(data) {
			return l.tun.fail("nflog attribute bad")
		}
		if order.Uint16(data[off+2:])&nflogTypeMask == nflogPayload {
			l.payload = true
			l.Contents, l.Payload = data[:off+4], data[off+4:off+n]
			break
		}
		off += (n + 3) &^ 3
	}
	if !l.payload {
		l.Contents, l.Payload = data, nil
	}
	return l.tun.mark(mark{layer: layerTypeNFLOG, name: "nflog", next: l.Payload})
}

// nflogOrder guesses the capturing host's byte order from the first
// attribute: its length read the right way is at least 4 and fits.
func nflogOrder(b []byte) binary.ByteOrder {
	if len(b) >= 2 {
		if n := int(binary.LittleEndian.Uint16(b)); n >= 4 && n <= len(b) {
			return binary.LittleEndian
		}
	}
	return binary.BigEndian
}

func (l *nflogLayer) stopped() skipReason {
	if !l.payload || len(l.Payload) == 0 {
		return skipReason{"nflog without payload", -1}
	}
	return l.tun.reason("nflog family %d", uint32(l.family))
}

// pktapLayer is Apple's PKTAP header (LINKTYPE_PKTAP): little-endian
// header length, record type (1 for a packet) and link type of the packet
// that follows the header.
type pktapLayer struct {
	tunnelBase
	packet bool // the record is a packet
	link   pcapread.LinkType
	next   gopacket.LayerType
}

func (p *pktapLayer) LayerType() gopacket.LayerType     { return layers.LayerTypePktap }
func (p *pktapLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypePktap }
func (p *pktapLayer) NextLayerType() gopacket.LayerType { return p.next }

func (p *pktapLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 12 {
		return p.tun.fail("pktap header bad")
	}
	n := binary.LittleEndian.Uint32(data)
	if n < 12 || n > uint32(len(data)) {
		return p.tun.fail("pktap header bad")
	}
	p.link = pcapread.LinkType(binary.LittleEndian.Uint32(data[8:]))
	p.next = gopacket.LayerTypeZero
	p.packet = binary.LittleEndian.Uint32(data[4:]) == 1
	if p.packet {
		p.next, _ = firstLayer(p.link, data[n:])
	}
	return p.header(data, int(n), mark{layer: layers.LayerTypePktap, name: "pktap"})
}

func (p *pktapLayer) stopped() skipReason {
	if !p.packet || len(p.Payload) == 0 {
		return skipReason{}
	}
	return p.tun.reason("pktap link type %d", uint32(p.link))
}

// radiotapLayer is a radiotap header (radiotap.org): version 0, pad,
// little-endian length and present bitmaps. Only the Flags field is read,
// for the FCS the frame then ends with.
type radiotapLayer struct {
	tunnelBase
}

// Radiotap present bits and flags.
const (
	radiotapTSFT     = 1 << 0
	radiotapFlags    = 1 << 1
	radiotapExtended = 1 << 31
	radiotapFCS      = 0x10
)

func (r *radiotapLayer) LayerType() gopacket.LayerType     { return layers.LayerTypeRadioTap }
func (r *radiotapLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeRadioTap }
func (r *radiotapLayer) NextLayerType() gopacket.LayerType { return layers.LayerTypeDot11 }

func (r *radiotapLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 8 || data[0] != 0 {
		return r.tun.fail("radiotap header bad")
	}
	n := int(binary.LittleEndian.Uint16(data[2:]))
	if n < 8 || n > len(data) {
		return r.tun.fail("radiotap header bad")
	}
	end := len(data)
	if radiotapFlagsOf(data[:n])&radiotapFCS != 0 {
		end = max(end-4, n)
	}
	return r.header(data[:end], n, mark{layer: layers.LayerTypeRadioTap, name: "radiotap"})
}

// radiotapFlagsOf returns the Flags field of a radiotap header h, or 0.
// Fields follow the present bitmaps, each aligned to its size from the
// start of the header; TSFT (8 bytes) is the only one before Flags.
func radiotapFlagsOf(h []byte) uint8 {
	present := binary.LittleEndian.Uint32(h[4:])
	off := 8
	for word := present; word&radiotapExtended != 0; off += 4 {
		if off+4 > len(h) {
			return 0
		}
		word = binary.LittleEndian.Uint32(h[off:])
	}
	if present&radiotapFlags == 0 {
		return 0
	}
	if present&radiotapTSFT != 0 {
		off = (off+7)&^7 + 8
	}
	if off >= len(h) {
		return 0
	}
	return h[off]
}

func (r *radiotapLayer) stopped() skipReason { return skipReason{} }

// dot11Layer is an IEEE 802.11 frame header (IEEE 802.11-2020 section
// 9.2.3). Data frames carry an LLC header; management and control frames,
// and data subtypes without data, are ordinary traffic.
type dot11Layer struct {
	tunnelBase
	data   bool   // a data frame that carries data
	reason string // why a data frame is not decoded further
}

// 802.11 frame control flags (second byte).
const (
	dot11ToDS      = 0x01
	dot11FromDS    = 0x02
	dot11MoreFrag  = 0x04
	dot11Protected = 0x40
	dot11Order     = 0x80
)

func (w *dot11Layer) LayerType() gopacket.LayerType  { return layers.LayerTypeDot11 }
func (w *dot11Layer) CanDecode() gopacket.LayerClass { return layers.LayerTypeDot11 }

func (w *dot11Layer) NextLayerType() gopacket.LayerType {
	if !w.data || w.reason != "" {
		return gopacket.LayerTypeZero
	}
	return layers.LayerTypeLLC
}

func (w *dot11Layer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	if len(data) < 10 || data[0]&0x03 != 0 {
		return w.tun.fail("wlan header bad")
	}
	w.data = data[0]>>2&0x03 == 2 && data[0]&0x40 == 0
	w.reason = ""
	if !w.data {
		w.Contents, w.Payload = data, nil
		return w.tun.mark(mark{layer: layers.LayerTypeDot11, name: "wlan"})
	}
	n, ok := dot11HeaderLen(data)
	if !ok {
		return w.tun.fail("wlan header bad")
	}
	w.reason = dot11Undecodable(data, n)
	return w.header(data, n, mark{layer: layers.LayerTypeDot11, name: "wlan"})
}

// dot11HeaderLen returns the length of a data frame's MAC header: 24 bytes,
// a fourth address between access points, QoS control, HT control.
func dot11HeaderLen(data []byte) (int, bool) {
	n := 24
	if data[1]&(dot11ToDS|dot11FromDS) == dot11ToDS|dot11FromDS {
		n += 6
	}
	if data[0]&0x80 != 0 { // QoS subtypes
		n += 2
		if data[1]&dot11Order != 0 {
			n += 4
		}
	}
	return n, len(data) >= n
}

// dot11Undecodable says why a data frame's payload is not an LLC header,
// or "".
func dot11Undecodable(data []byte, n int) string {
	switch {
	case data[1]&dot11Protected != 0:
		return "wlan frame protected"
	case data[1]&dot11MoreFrag != 0 || binary.LittleEndian.Uint16(data[22:])&0x0f != 0:
		return "wlan fragment"
	case data[0]&0x80 != 0 && data[n-2-qosHT(data)]&0x80 != 0:
		return "wlan a-msdu"
	}
	return ""
}

// qosHT is the length of the HT control field after QoS control.
func qosHT(data []byte) int {
	if data[1]&dot11Order != 0 {
		return 4
	}
	return 0
}

func (w *dot11Layer) stopped() skipReason {
	if w.reason != "" {
		return skipReason{w.reason, -1}
	}
	return skipReason{}
}

// llcLayer is an IEEE 802.2 LLC header, decoded by gopacket, that goes on
// only into SNAP (RFC 1042): other SAPs (spanning tree, NetBIOS) are
// ordinary traffic.
type llcLayer struct {
	layers.LLC
}

func (l *llcLayer) NextLayerType() gopacket.LayerType {
	if l.DSAP == 0xaa && l.SSAP == 0xaa {
		return layers.LayerTypeSNAP
	}
	return gopacket.LayerTypeZero
}

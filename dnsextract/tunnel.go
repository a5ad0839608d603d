package dnsextract

import (
	"fmt"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"pdnsx/pcapread"
)

// Tunnels and uncommon link layers.
//
// The frame decoder's parsers hold, besides the layers of decode.go, the
// layers of this file. Most are reached the way gopacket reaches any layer:
// from an EtherType (MPLS, PPPoE, PPP), an IP protocol (GRE 47, IP-in-IP 4
// and 41, EtherIP 97, MPLS-in-IP 137), a GRE protocol type, a PPP protocol,
// or the link type of the capture (PPP, Cisco HDLC, NFLOG, PKTAP, 802.11 with
// or without radiotap). The UDP tunnels (VXLAN, Geneve, GTP-U, Teredo) are
// chosen here by port, never by gopacket's port table, so the choice is the
// same whatever gopacket registers: a datagram goes on into a tunnel only
// when its destination port is the tunnel's (either port for Teredo) and
// neither port is a DNS port. A DNS response to a client that happened to
// pick port 4789 stays DNS.
//
// A parser keeps one instance per layer type, so an inner IPv4 header
// overwrites the outer one: the addresses and the UDP or TCP header the
// decoder reports are the innermost. Each tunnel header decoded leaves a mark
// with what the encapsulation path shows of it; the path is built from the
// marks and the layer types in order.
//
// Identifiers in the path are the ones both directions of a flow share: the
// VXLAN and Geneve VNI, the GRE key, the PPPoE session, the ERSPAN session.
// MPLS labels, GTP-U TEIDs and PPTP call IDs differ between the query's
// direction and the response's, and a path is part of the pairing key, so
// they are left out; an MPLS label stack shows as one "mpls".
//
// A frame whose tunnel header decodes but whose payload does not (an unknown
// GRE protocol, encrypted 802.11, compressed PPP) is counted in
// Stats.Skipped with the reason; control traffic of a tunnel (GTP echo, PPP
// LCP, PPPoE discovery, 802.11 management) is ordinary traffic, not counted.

// Link types of this file (LINKTYPE_ values from tcpdump.org).
const (
	linkPPP       pcapread.LinkType = 9   // PPP, with or without HDLC address and control
	linkPPPSerial pcapread.LinkType = 50  // PPP in HDLC-like framing, or Cisco HDLC
	linkCHDLC     pcapread.LinkType = 104 // Cisco HDLC
	linkIEEE80211 pcapread.LinkType = 105 // 802.11 without radio header
	linkRadiotap  pcapread.LinkType = 127 // 802.11 with a radiotap header
	linkUser2     pcapread.LinkType = 149 // LINKTYPE_USER2, where macOS writes PKTAP
	linkNFLOG     pcapread.LinkType = 239 // Linux NFLOG
	linkPKTAP     pcapread.LinkType = 258 // Apple PKTAP
)

// UDP ports of the UDP tunnels.
const (
	portGTPU   = 2152 // 3GPP TS 29.281 section 4.4.2.3
	portTeredo = 3544 // RFC 4380 section 4
	portVXLAN  = 4789 // RFC 7348 section 5
	portGeneve = 6081 // RFC 8926 section 3.3
)

// Bounds on the encapsulation of one frame.
const (
	maxTunnelHeaders = 16   // tunnel and link headers (each MPLS label counts)
	maxFrameLayers   = 32   // layers of all kinds
	maxTunnelPaths   = 4096 // interned tunnel paths; the table restarts when full
	maxSkipReasons   = 256  // distinct numbered skip reasons kept
)

// Reasons for frames whose encapsulation is too deep.
var (
	reasonTooDeep       = fmt.Sprintf("tunnels nested deeper than %d", maxTunnelHeaders)
	reasonTooManyLayers = fmt.Sprintf("encapsulation deeper than %d layers", maxFrameLayers)
)

// Layer types gopacket has no decoder for, numbered low in the range
// gopacket leaves to applications so that the parsers' sparse container
// stays small.
var (
	layerTypeERSPAN3 = gopacket.RegisterLayerType(1000,
		gopacket.LayerTypeMetadata{Name: "ERSPAN Type III", Decoder: gopacket.DecodeUnknown})
	layerTypeTeredo = gopacket.RegisterLayerType(1001,
		gopacket.LayerTypeMetadata{Name: "Teredo", Decoder: gopacket.DecodeUnknown})
	layerTypeNFLOG = gopacket.RegisterLayerType(1002,
		gopacket.LayerTypeMetadata{Name: "NFLOG", Decoder: gopacket.DecodeUnknown})
	layerTypeCHDLC = gopacket.RegisterLayerType(1003,
		gopacket.LayerTypeMetadata{Name: "Cisco HDLC", Decoder: gopacket.DecodeUnknown})
)

// tunnelFirsts are the first layers of the link types of this file.
var tunnelFirsts = []gopacket.LayerType{
	layers.LayerTypePPP, layerTypeCHDLC, layers.LayerTypeDot11, layers.LayerTypeRadioTap,
	layerTypeNFLOG, layers.LayerTypePktap,
}

// tunnelFirstLayer returns the layer a frame of one of this file's link
// types starts with.
func tunnelFirstLayer(link pcapread.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch link {
	case linkPPP:
		return layers.LayerTypePPP, true
	case linkPPPSerial:
		// RFC 1547 section 4.3.1: Cisco framing starts 0x0f or 0x8f, PPP 0xff.
		if len(data) > 0 && (data[0] == 0x0f || data[0] == 0x8f) {
			return layerTypeCHDLC, true
		}
		return layers.LayerTypePPP, true
	case linkCHDLC:
		return layerTypeCHDLC, true
	case linkIEEE80211:
		return layers.LayerTypeDot11, true
	case linkRadiotap:
		return layers.LayerTypeRadioTap, true
	case linkNFLOG:
		return layerTypeNFLOG, true
	case linkPKTAP, linkUser2:
		return layers.LayerTypePktap, true
	}
	return gopacket.LayerTypeZero, false
}

// nullFraming recognises the PPP and Cisco HDLC framing that BSD/OS and
// some routers write in DLT_NULL captures instead of an address family, as
// Wireshark does: 0xff 0x03 starts PPP in HDLC-like framing, 0x0f or 0x8f
// Cisco HDLC. No address family in use starts with these bytes in either
// byte order.
func nullFraming(link pcapread.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch {
	case link != linkNull || len(data) < 2:
		return gopacket.LayerTypeZero, false
	case data[0] == 0xff && data[1] == 0x03:
		return layers.LayerTypePPP, true
	case data[0] == 0x0f || data[0] == 0x8f:
		return layerTypeCHDLC, true
	}
	return gopacket.LayerTypeZero, false
}

// mark is what a tunnel or link header decoded in the frame shows in the
// encapsulation path.
type mark struct {
	layer gopacket.LayerType
	name  string // path segment, e.g. "vxlan"
	id    uint32 // shown as "name:id" when hasID
	hasID bool
	next  []byte // the bytes after the header, where an inner Ethernet frame starts
}

// tunnelLayer is a layer of this file.
type tunnelLayer interface {
	gopacket.DecodingLayer
	LayerType() gopacket.LayerType
	// stopped says why nothing was decoded after the header; the zero
	// value means that is ordinary (control traffic, an empty payload).
	stopped() skipReason
}

// tunnels holds the layers of this file for one frameDecoder, and what they
// found in the frame being decoded. It is not safe for concurrent use.
type tunnels struct {
	marks   []mark   // headers decoded in this frame, outermost first
	dns     *portSet // DNS ports, which no tunnel port overrides; nil: 53, 5353, 5355
	stop    skipReason
	scratch []gopacket.LayerType
	reasons map[reasonKey]string
	paths   map[string]string
	pathBuf []byte
	vlans   [4]uint16
	list    []tunnelLayer // the layers below

	gre      greLayer
	erspan2  erspan2Layer
	erspan3  erspan3Layer
	etherIP  etherIPLayer
	vxlan    vxlanLayer
	geneve   geneveLayer
	gtp      gtpLayer
	teredo   teredoLayer
	mpls     mplsLayer
	pppoe    pppoeLayer
	ppp      pppLayer
	chdlc    chdlcLayer
	nflog    nflogLayer
	pktap    pktapLayer
	radiotap radiotapLayer
	dot11    dot11Layer
	llc      llcLayer
	snap     layers.SNAP
}

// reasonKey is a numbered skip reason: a format and its number.
type reasonKey struct {
	format string
	n      uint32
}

// init links the layers to t and prepares its tables.
func (t *tunnels) init() {
	t.marks = make([]mark, 0, maxTunnelHeaders)
	t.scratch = make([]gopacket.LayerType, 0, maxFrameLayers)
	t.reasons = make(map[reasonKey]string)
	t.paths = make(map[string]string)
	t.list = []tunnelLayer{&t.gre, &t.erspan2, &t.erspan3, &t.etherIP, &t.vxlan, &t.geneve,
		&t.gtp, &t.teredo, &t.mpls, &t.pppoe, &t.ppp, &t.chdlc, &t.nflog, &t.pktap,
		&t.radiotap, &t.dot11}
	for _, l := range t.list {
		l.(interface{ attach(*tunnels) }).attach(t)
	}
}

// container returns the decoding layers of the frame decoder's parsers:
// base, then the layers of this file that other layers lead to (the UDP
// tunnels are entered by port in tunnelled only). It is a sparse slice
// indexed by layer type, shared by the parsers: a lookup is an index, where
// gopacket's default map grows slower with each layer added, and plain
// frames would pay for the tunnel layers.
func (t *tunnels) container(base ...gopacket.DecodingLayer) gopacket.DecodingLayerContainer {
	var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range base {
		c = c.Put(l)
	}
	for _, l := range t.list {
		switch l.LayerType() {
		case layers.LayerTypeVXLAN, layers.LayerTypeGeneve, layers.LayerTypeGTPv1U,
			layerTypeTeredo:
			continue
		}
		c = c.Put(l)
	}
	c = c.Put(&t.llc)
	return c.Put(&t.snap)
}

// layer returns the tunnel layer of type lt, or nil.
func (t *tunnels) layer(lt gopacket.LayerType) tunnelLayer {
	for _, l := range t.list {
		if l.LayerType() == lt {
			return l
		}
	}
	return nil
}

// mark notes a header decoded in this frame, or fails when the frame holds
// too many.
func (t *tunnels) mark(m mark) error {
	if len(t.marks) == cap(t.marks) {
		return t.fail(reasonTooDeep)
	}
	t.marks = append(t.marks, m)
	return nil
}

// fail returns an error that makes the frame skipped for the given reason.
// The error is t's own and valid until the next frame.
func (t *tunnels) fail(what string) error {
	t.stop = skipReason{what, -1}
	return &t.stop
}

// failN is fail with a numbered reason, e.g. failN("gre version %d", 3).
func (t *tunnels) failN(format string, n uint32) error {
	t.stop = t.reason(format, n)
	return &t.stop
}

// reason returns the skip reason format filled with n. The text is made
// once per distinct number; beyond maxSkipReasons of them the number is
// left out.
func (t *tunnels) reason(format string, n uint32) skipReason {
	k := reasonKey{format, n}
	s, ok := t.reasons[k]
	if !ok {
		if len(t.reasons) >= maxSkipReasons {
			return skipReason{format, -1}
		}
		s = fmt.Sprintf(format, n)
		t.reasons[k] = s
	}
	return skipReason{s, -1}
}

// Error makes a skip reason an error, so that a layer can end decoding with
// it; classify reports it as it is.
func (r *skipReason) Error() string { return "dnsextract: " + r.String() }

// decodeLayers decodes data with parser and goes on into the UDP tunnels.
// Tunnel headers leave marks in d.tun; when decoding stops right after one,
// the error returned is a *skipReason saying why, or nil for ordinary
// traffic. A plain frame costs a call, a slice reset and a few comparisons
// more than parser.DecodeLayers (BenchmarkFrameDecode).
func (d *frameDecoder) decodeLayers(parser *gopacket.DecodingLayerParser, data []byte) error {
	d.tun.marks = d.tun.marks[:0]
	err := parser.DecodeLayers(data, &d.decoded)
	if len(d.tun.marks) > 0 || d.atTunnelPort() || len(d.decoded) > maxFrameLayers {
		return d.tunnelled(err)
	}
	return err
}

// atTunnelPort reports whether decoding ended at a UDP datagram to or from
// a UDP tunnel's port.
func (d *frameDecoder) atTunnelPort() bool {
	n := len(d.decoded)
	return n > 0 && d.decoded[n-1] == layers.LayerTypeUDP &&
		tunnelPort(uint16(d.udp.SrcPort), uint16(d.udp.DstPort))
}

func tunnelPort(src, dst uint16) bool {
	return dst == portVXLAN || dst == portGeneve || dst == portGTPU || dst == portTeredo ||
		src == portTeredo
}

// tunnelled goes on from a frame decoded as far as a tunnel header or a
// UDP tunnel's port, and returns the error that ends it.
func (d *frameDecoder) tunnelled(err error) error {
	t := &d.tun
	for n := len(d.decoded); n > 0 && d.decoded[n-1] == layers.LayerTypeUDP; {
		l := t.overUDP(&d.udp)
		if l == nil {
			break
		}
		var more bool
		if more, err = d.udpTunnel(l); !more {
			break
		}
		n = len(d.decoded)
	}
	if len(t.marks) == 0 && len(d.decoded) <= maxFrameLayers {
		return err
	}
	return d.stopped(err)
}

// overUDP returns the tunnel the UDP datagram just decoded carries, or nil.
func (t *tunnels) overUDP(u *layers.UDP) tunnelLayer {
	src, dst := uint16(u.SrcPort), uint16(u.DstPort)
	var l tunnelLayer
	switch {
	case dst == portVXLAN:
		l = &t.vxlan
	case dst == portGeneve:
		l = &t.geneve
	case dst == portGTPU:
		l = &t.gtp
	case dst == portTeredo, src == portTeredo:
		l = &t.teredo
	default:
		return nil
	}
	if t.dns == nil {
		if isStandardDNSPort(src) || isStandardDNSPort(dst) {
			return nil
		}
	} else if t.dns.has(src) || t.dns.has(dst) {
		return nil
	}
	return l
}

func isStandardDNSPort(p uint16) bool {
	return p == portDNS || p == portMDNS || p == portLLMNR
}

// udpTunnel decodes the tunnel header l in the payload of the UDP datagram
// just decoded, then what it carries. It reports whether decoding may go on
// into another UDP tunnel. A header that does not decode is listed in
// d.decoded all the same, so that the frame is not taken for a datagram
// that ends at UDP.
func (d *frameDecoder) udpTunnel(l tunnelLayer) (bool, error) {
	d.decoded = append(d.decoded, l.LayerType())
	if err := l.DecodeFromBytes(d.udp.Payload, gopacket.NilDecodeFeedback); err != nil {
		return false, err
	}
	parser := d.byFirst[l.NextLayerType()]
	if parser == nil || len(l.LayerPayload()) == 0 {
		return true, nil
	}
	err := parser.DecodeLayers(l.LayerPayload(), &d.tun.scratch)
	d.decoded = append(d.decoded, d.tun.scratch...)
	return true, err
}

// stopped returns the error that ends a tunnelled frame: err, or why the
// tunnel header decoded last carried nothing decoded.
func (d *frameDecoder) stopped(err error) error {
	t := &d.tun
	if len(d.decoded) > maxFrameLayers {
		d.decoded = d.decoded[:maxFrameLayers]
		return t.fail(reasonTooManyLayers)
	}
	if len(t.marks) == 0 || len(d.decoded) == 0 {
		return err
	}
	last := d.decoded[len(d.decoded)-1]
	if last != t.marks[len(t.marks)-1].layer {
		return err // decoding went past the last tunnel header
	}
	if _, unsupported := err.(gopacket.UnsupportedLayerType); err != nil && !unsupported {
		return err
	}
	if l := t.layer(last); l != nil {
		if r := l.stopped(); r.what != "" {
			t.stop = r
			return &t.stop
		}
	}
	return nil
}

// tunnelPath returns the encapsulation path of a frame with tunnel marks,
// such as "eth/ipv4/udp/vxlan:42/eth/vlan:7/ipv4/udp". Paths are interned in
// a bounded table.
func (d *frameDecoder) tunnelPath(frame []byte) string {
	t := &d.tun
	b := t.pathBuf[:0]
	marks := t.marks
	ether := frame // where the Ethernet frame being named starts
	var vlans []uint16
	for i, lt := range d.decoded {
		if len(marks) > 0 && marks[0].layer == lt {
			b = appendMark(b, &marks[0], i > 0 && d.decoded[i-1] == lt)
			ether = marks[0].next
			marks = marks[1:]
			continue
		}
		if lt == layers.LayerTypeEthernet {
			vlans = vlanIDs(t.vlans[:0], ether, d.decoded[i:])
		}
		b = appendLayer(b, lt, &vlans)
	}
	t.pathBuf = b
	if s, ok := t.paths[string(b)]; ok {
		return s
	}
	if len(t.paths) >= maxTunnelPaths {
		clear(t.paths)
	}
	s := string(b)
	t.paths[s] = s
	return s
}

// appendMark appends a tunnel header's path segment. A header repeating
// the one before it without an identifier (an MPLS label stack) is shown
// once.
func appendMark(b []byte, m *mark, repeat bool) []byte {
	if m.name == "" || (repeat && !m.hasID) {
		return b
	}
	if len(b) > 0 {
		b = append(b, '/')
	}
	b = append(b, m.name...)
	if m.hasID {
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(m.id), 10)
	}
	return b
}

// appendLayer appends a common layer's path segment, taking the next VLAN
// identifier for an 802.1Q tag.
func appendLayer(b []byte, lt gopacket.LayerType, vlans *[]uint16) []byte {
	name := layerName(lt)
	if name == "" {
		return b
	}
	if len(b) > 0 {
		b = append(b, '/')
	}
	b = append(b, name...)
	if lt == layers.LayerTypeDot1Q && len(*vlans) > 0 {
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64((*vlans)[0]), 10)
		*vlans = (*vlans)[1:]
	}
	return b
}

// ipVersionLayer returns IPv4 or IPv6 by the version nibble of b, or zero.
func ipVersionLayer(b []byte) gopacket.LayerType {
	if len(b) == 0 {
		return gopacket.LayerTypeZero
	}
	switch b[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

// etherLayer returns the layer an EtherType leads to among the ones the
// tunnels carry, or zero.
func etherLayer(t uint16) gopacket.LayerType {
	switch layers.EthernetType(t) {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.EthernetTypeTransparentEthernetBridging:
		return layers.LayerTypeEthernet
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return layers.LayerTypeMPLS
	}
	return gopacket.LayerTypeZero
}

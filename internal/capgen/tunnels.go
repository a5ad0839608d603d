package capgen

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Hosts of the tunnel scenarios: tunnel endpoints and provider-side
// addresses, in the documentation ranges.
var (
	tunnelA4 = netip.MustParseAddr("203.0.113.1")
	tunnelB4 = netip.MustParseAddr("203.0.113.2")
	tunnelA6 = netip.MustParseAddr("2001:db8:7::1")
	tunnelB6 = netip.MustParseAddr("2001:db8:7::2")
	apMAC    = HWAddr{0x02, 0x00, 0x5e, 0x10, 0x00, 0xa9}
	peerMAC  = HWAddr{0x02, 0x00, 0x5e, 0x10, 0x00, 0xb0}
	teredoC  = netip.MustParseAddr("2001:0:cb00:7101::1") // a Teredo client address
)

// tunnelScenarios are DNS inside tunnels and on uncommon link layers.
func tunnelScenarios() []Scenario {
	return []Scenario{
		{Name: "gre", File: "gre.pcap", run: greScenario,
			About: "GRE with key and sequence number over IPv4, GRE with checksum over IPv6"},
		{Name: "gre-pptp", File: "gre-pptp.pcap", run: pptpScenario,
			About: "PPTP: enhanced GRE (call IDs, sequence and acknowledgment numbers), PPP"},
		{Name: "erspan-1", File: "erspan-1.pcap", run: erspanScenario(1),
			About: "ERSPAN type I: GRE without sequence number around a tagged Ethernet frame"},
		{Name: "erspan-2", File: "erspan-2.pcap", run: erspanScenario(2),
			About: "ERSPAN type II, session 100, in GRE with sequence numbers"},
		{Name: "erspan-3", File: "erspan-3.pcap", run: erspanScenario(3),
			About: "ERSPAN type III, session 200, with and without the platform subheader"},
		{Name: "etherip", File: "etherip.pcap", run: etherIPScenario,
			About: "EtherIP (IP protocol 97) carrying an Ethernet frame"},
		{Name: "vxlan", File: "vxlan.pcap", run: vxlanScenario,
			About: "VXLAN: VNI 42 with inner VLAN 7, VNI 5000 over IPv6; DNS from port 4789"},
		{Name: "geneve", File: "geneve.pcap", run: geneveScenario,
			About: "Geneve VNI 77 with an option around Ethernet, and around IPv4 directly"},
		{Name: "gtp-u", File: "gtp-u.pcap", run: gtpScenario,
			About: "GTP-U G-PDUs: TEIDs per direction, PDU session container; an echo"},
		{Name: "teredo", File: "teredo.pcap", run: teredoScenario,
			About: "Teredo: IPv6 in UDP 3544, with and without an origin indication"},
		{Name: "ipip", File: "ipip.pcap", run: ipipScenario,
			About: "IP in IP: 4in4, 6in4, 4in6 and 6in6"},
		{Name: "mpls", File: "mpls.pcap", run: mplsScenario,
			About: "MPLS: two labels, IPv6 explicit null, Ethernet pseudowire with control word"},
		{Name: "pppoe", File: "pppoe.pcap", run: pppoeScenario,
			About: "PPPoE session 0x1234 on VLAN 100 carrying IPv4 and IPv6"},
		{Name: "ppp", File: "ppp.pcap", run: pppScenario,
			About: "PPP (DLT 9): with address and control bytes; with a compressed protocol"},
		{Name: "ppp-hdlc", File: "ppp-hdlc.pcap", run: pppSerialScenario,
			About: "DLT 50: PPP in HDLC-like framing, and Cisco HDLC"},
		{Name: "chdlc", File: "chdlc.pcap", run: chdlcScenario,
			About: "Cisco HDLC (DLT 104) carrying IPv4 and IPv6"},
		{Name: "nflog", File: "nflog.pcap", run: nflogScenario,
			About: "Linux NFLOG (DLT 239), group 5, IPv4 and IPv6"},
		{Name: "wlan-radiotap", File: "wlan-radiotap.pcap", run: radiotapScenario,
			About: "802.11 with radiotap and FCS (DLT 127): QoS data to the AP, data from it"},
		{Name: "wlan", File: "wlan.pcap", run: wlanScenario,
			About: "802.11 without radio header (DLT 105): data frames, one between two APs"},
		{Name: "loop", File: "loop.pcap", run: loopScenario,
			About: "OpenBSD loopback (DLT 108): address family in big-endian"},
		{Name: "pktap", File: "pktap.pcap", run: pktapScenario,
			About: "Apple PKTAP (DLT 258) around Ethernet and around BSD loopback"},
		{Name: "tunnel-nested", File: "tunnel-nested.pcap", run: nestedScenario,
			About: "VXLAN in GRE in MPLS on a VLAN; a lookup seen plain and in GRE on one SPAN"},
	}
}

// wrapper wraps what a flow carries in one header; back is true for the
// packets from the server.
type wrapper func(back bool, inner []byte) []byte

// encap is a stack of wrappers, outermost first.
type encap []wrapper

// frame returns the frame carrying the IP packet ip.
func (e encap) frame(back bool, ip []byte) []byte {
	for i := len(e) - 1; i >= 0; i-- {
		ip = e[i](back, ip)
	}
	return ip
}

// encapLookup writes an A lookup (AAAA for an IPv6 client) carried by e and
// counts it answered.
func (s *scene) encapLookup(e encap, client, server netip.AddrPort, id uint16, name string) {
	qtype, rr := dns.TypeA, " 300 IN A 192.0.2."
	if client.Addr().Is6() {
		qtype, rr = dns.TypeAAAA, " 300 IN AAAA 2001:db8:cafe::"
	}
	q := NewQuery(id, name, qtype)
	r := NewResponse(q, dns.RcodeSuccess, MustRR(name+rr+itoa(int(id&0xff))))
	s.write(e.frame(false, s.innerUDP(client, server, s.pack(q))))
	s.after(3*time.Millisecond - frameGap)
	s.write(e.frame(true, s.innerUDP(server, client, s.pack(r))))
	s.truth.Answered++
}

// innerUDP returns an IP packet carrying a UDP datagram.
func (s *scene) innerUDP(src, dst netip.AddrPort, payload []byte) []byte {
	s.framer.ipID++
	return AppendIP(nil, src.Addr(), dst.Addr(), s.framer.ipID, ProtoUDP,
		AppendUDP(nil, src, dst, payload))
}

// ether wraps in Ethernet between the client's and the router's MAC
// addresses with VLAN tags; ethertype 0 means IPv4 or IPv6 by the payload.
func ether(ethertype uint16, vlans ...uint16) wrapper {
	return func(back bool, inner []byte) []byte {
		l := Link{Src: clientMAC, Dst: routerMAC, VLANs: vlans}
		if back {
			l.Src, l.Dst = l.Dst, l.Src
		}
		t := ethertype
		if t == 0 {
			t = IPEtherType(inner)
		}
		return AppendEthernet(nil, &l, t, inner)
	}
}

// outerIP wraps in an IP header between tunnel endpoints a and b (swapped
// for the way back); proto 0 means IP in IP by the payload's version.
func outerIP(a, b netip.Addr, proto uint8) wrapper {
	var id uint16
	return func(back bool, inner []byte) []byte {
		src, dst := a, b
		if back {
			src, dst = b, a
		}
		p := proto
		if p == 0 {
			p = ProtoIPIP
			if IPEtherType(inner) == EtherIPv6 {
				p = ProtoIPv6
			}
		}
		id++
		return AppendIP(nil, src, dst, 0x4000+id, p, inner)
	}
}

// outerUDP wraps in UDP and IP: from there to here going forward, and from
// backSrc to backDst coming back.
func outerUDP(src, dst, backSrc, backDst netip.AddrPort) wrapper {
	var id uint16
	return func(back bool, inner []byte) []byte {
		from, to := src, dst
		if back {
			from, to = backSrc, backDst
		}
		id++
		return AppendIP(nil, from.Addr(), to.Addr(), 0x5000+id, ProtoUDP,
			AppendUDP(nil, from, to, inner))
	}
}

// greWrap wraps in GRE with header fwd going forward and back coming back;
// each direction's sequence number counts up.
func greWrap(fwd, back GRE) wrapper {
	return func(isBack bool, inner []byte) []byte {
		g := &fwd
		if isBack {
			g = &back
		}
		b := g.Append(nil, inner)
		g.Seq++
		return b
	}
}

// greScenario: GRE with key 42 and sequence numbers between IPv4
// endpoints, then GRE with a checksum between IPv6 endpoints.
func greScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	keyed := GRE{HasKey: true, Key: 42, HasSeq: true, Seq: 1}
	e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), greWrap(keyed, keyed)}
	s.encapLookup(e, ap(client4, 50100), ap(server4, portDNS), 0x7001, "gre.example.com.")

	summed := GRE{Checksum: true}
	e = encap{ether(0), outerIP(tunnelA6, tunnelB6, ProtoGRE), greWrap(summed, summed)}
	s.encapLookup(e, ap(client6, 50101), ap(server6, portDNS), 0x7002, "gre6.example.com.")
}

// pppWrap wraps in PPP carrying IPv4 or IPv6.
func pppWrap(hdlc, compressed bool) wrapper {
	return func(_ bool, inner []byte) []byte {
		proto := PPPIPv4
		if IPEtherType(inner) == EtherIPv6 {
			proto = PPPIPv6
		}
		return AppendPPP(nil, hdlc, compressed, proto, inner)
	}
}

// pptpScenario: a PPTP session, each direction with its own call ID; the
// server's packets acknowledge the client's. The second lookup's PPP frames
// have address, control and protocol field compression.
func pptpScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	fwd := GRE{Protocol: EtherPPP, Version: 1, CallID: 0x4001, HasSeq: true, Seq: 10}
	back := GRE{Protocol: EtherPPP, Version: 1, CallID: 0x8002, HasSeq: true, Seq: 70,
		HasAck: true, Ack: 10}
	gre := greWrap(fwd, back)
	e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), gre, pppWrap(true, false)}
	s.encapLookup(e, ap(client4, 50200), ap(server4, portDNS), 0x7101, "pptp.example.com.")

	e = encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), gre, pppWrap(false, true)}
	s.encapLookup(e, ap(client4, 50201), ap(server4, portDNS), 0x7102, "acfc.example.com.")
}

// erspanScenario writes lookups mirrored with ERSPAN of the given type.
func erspanScenario(kind int) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		switch kind {
		case 1:
			e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE),
				greWrap(GRE{Protocol: EtherERSPAN}, GRE{Protocol: EtherERSPAN}), ether(0, 20)}
			s.encapLookup(e, ap(client4, 50300), ap(server4, portDNS), 0x7201,
				"span1.example.com.")
		case 2:
			e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE),
				greWrap(erspanGRE(EtherERSPAN), erspanGRE(EtherERSPAN)),
				erspan2Wrap(ERSPAN2{Session: 100, Index: 7}), ether(0)}
			s.encapLookup(e, ap(client4, 50301), ap(server4, portDNS), 0x7202,
				"span2.example.com.")
		case 3:
			gre := greWrap(erspanGRE(EtherERSPAN3), erspanGRE(EtherERSPAN3))
			h := ERSPAN3{Session: 200, Timestamp: 0x01020304}
			e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), gre,
				erspan3Wrap(h), ether(0)}
			s.encapLookup(e, ap(client4, 50302), ap(server4, portDNS), 0x7203,
				"span3.example.com.")
			h.Platform = true
			e = encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), gre,
				erspan3Wrap(h), ether(0)}
			s.encapLookup(e, ap(client6, 50303), ap(server6, portDNS), 0x7204,
				"span3-6.example.com.")
		}
	}
}

// erspanGRE is the GRE header of ERSPAN types II and III.
func erspanGRE(protocol uint16) GRE {
	return GRE{Protocol: protocol, HasSeq: true, Seq: 1000}
}

func erspan2Wrap(h ERSPAN2) wrapper {
	return func(_ bool, inner []byte) []byte { return h.Append(nil, inner) }
}

func erspan3Wrap(h ERSPAN3) wrapper {
	return func(_ bool, inner []byte) []byte {
		b := h.Append(nil, inner)
		h.Timestamp += 1000
		return b
	}
}

// etherIPScenario: an Ethernet frame in EtherIP.
func etherIPScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	etherIP := func(_ bool, inner []byte) []byte { return append([]byte{0x30, 0}, inner...) }
	e := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoEtherIP), etherIP, ether(0)}
	s.encapLookup(e, ap(client4, 50400), ap(server4, portDNS), 0x7301, "etherip.example.com.")
}

// vxlanScenario: VXLAN between two IPv4 VTEPs (VNI 42, inner VLAN 7), a
// plain lookup whose client port is the VXLAN port, and VXLAN between IPv6
// VTEPs (VNI 5000).
func vxlanScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	vxlan := func(vni uint32) wrapper {
		return func(_ bool, inner []byte) []byte { return AppendVXLAN(nil, vni, inner) }
	}
	udp := outerUDP(ap(tunnelA4, 49321), ap(tunnelB4, PortVXLAN),
		ap(tunnelB4, 61002), ap(tunnelA4, PortVXLAN))
	e := encap{ether(0), udp, vxlan(42), ether(0, 7)}
	s.encapLookup(e, ap(client4, 50500), ap(server4, portDNS), 0x7401, "vxlan.example.com.")

	s.encapLookup(encap{ether(0)}, ap(client4b, PortVXLAN), ap(server4, portDNS), 0x7402,
		"port4789.example.com.")

	udp = outerUDP(ap(tunnelA6, 50001), ap(tunnelB6, PortVXLAN),
		ap(tunnelB6, 50002), ap(tunnelA6, PortVXLAN))
	e = encap{ether(0), udp, vxlan(5000), ether(0)}
	s.encapLookup(e, ap(client6, 50501), ap(server6, portDNS), 0x7403, "vxlan6.example.com.")
}

// geneveScenario: Geneve with one option around Ethernet, and around an
// IPv4 packet directly.
func geneveScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	option := []byte{0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef} // class 0x0102, type 0x80
	geneve := func(h Geneve) wrapper {
		return func(_ bool, inner []byte) []byte {
			if h.Protocol == 0 {
				h.Protocol = IPEtherType(inner)
			}
			return h.Append(nil, inner)
		}
	}
	udp := outerUDP(ap(tunnelA4, 40001), ap(tunnelB4, PortGeneve),
		ap(tunnelB4, 40002), ap(tunnelA4, PortGeneve))
	e := encap{ether(0), udp, geneve(Geneve{VNI: 77, Protocol: EtherTEB, Options: option}),
		ether(0)}
	s.encapLookup(e, ap(client4, 50600), ap(server4, portDNS), 0x7501, "geneve.example.com.")

	e = encap{ether(0), udp, geneve(Geneve{VNI: 77})}
	s.encapLookup(e, ap(client4, 50601), ap(server4, portDNS), 0x7502, "geneve-ip.example.com.")
}

// gtpScenario: G-PDUs between an eNodeB and a gateway, the uplink with a
// sequence number and a PDU session container; an IPv6 user; then an echo
// request and response, which carry no user packet.
func gtpScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	gtp := func(up, down GTPU) wrapper {
		return func(back bool, inner []byte) []byte {
			h := &up
			if back {
				h = &down
			}
			b := h.Append(nil, inner)
			h.Seq++
			return b
		}
	}
	udp := outerUDP(ap(tunnelA4, PortGTPU), ap(tunnelB4, PortGTPU),
		ap(tunnelB4, PortGTPU), ap(tunnelA4, PortGTPU))
	up := GTPU{TEID: 0x1000a, HasSeq: true, Seq: 5, QFI: 9}
	e := encap{ether(0), udp, gtp(up, GTPU{TEID: 0x2000b})}
	s.encapLookup(e, ap(netip.MustParseAddr("10.45.0.2"), 50700), ap(server4, portDNS),
		0x7601, "gtp.example.com.")
	e = encap{ether(0), udp, gtp(GTPU{TEID: 0x1000c}, GTPU{TEID: 0x2000d})}
	s.encapLookup(e, ap(netip.MustParseAddr("2001:db8:45::2"), 50701), ap(server6, portDNS),
		0x7602, "gtp6.example.com.")

	echo := GTPU{MessageType: 1, HasSeq: true, Seq: 77}
	s.write(encap{ether(0), udp}.frame(false, echo.Append(nil, nil)))
	echo.MessageType = 2
	s.write(encap{ether(0), udp}.frame(true, echo.Append(nil, []byte{14, 0}))) // recovery IE
}

// teredoScenario: a Teredo client's lookups to an IPv6 server through a
// relay; the relay's packets carry an origin indication in the first
// lookup.
func teredoScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	teredo := func(origin netip.AddrPort) wrapper {
		return func(back bool, inner []byte) []byte {
			if !back {
				return AppendTeredo(nil, netip.AddrPort{}, inner)
			}
			return AppendTeredo(nil, origin, inner)
		}
	}
	udp := outerUDP(ap(client4, 40100), ap(tunnelB4, PortTeredo),
		ap(tunnelB4, PortTeredo), ap(client4, 40100))
	e := encap{ether(0), udp, teredo(ap(tunnelB4, PortTeredo))}
	s.encapLookup(e, ap(teredoC, 50800), ap(server6, portDNS), 0x7701, "teredo.example.com.")
	e = encap{ether(0), udp, teredo(netip.AddrPort{})}
	s.encapLookup(e, ap(teredoC, 50801), ap(server6, portDNS), 0x7702, "teredo2.example.com.")
}

// ipipScenario: IPv4 and IPv6 packets inside IPv4 and IPv6 headers.
func ipipScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	s.encapLookup(encap{ether(0), outerIP(tunnelA4, tunnelB4, 0)},
		ap(client4, 50900), ap(server4, portDNS), 0x7801, "4in4.example.com.")
	s.encapLookup(encap{ether(0), outerIP(tunnelA4, tunnelB4, 0)},
		ap(client6, 50901), ap(server6, portDNS), 0x7802, "6in4.example.com.")
	s.encapLookup(encap{ether(0), outerIP(tunnelA6, tunnelB6, 0)},
		ap(client4, 50902), ap(server4, portDNS), 0x7803, "4in6.example.com.")
	s.encapLookup(encap{ether(0), outerIP(tunnelA6, tunnelB6, 0)},
		ap(client6, 50903), ap(server6, portDNS), 0x7804, "6in6.example.com.")
}

// mplsWrap wraps in an MPLS label stack, with one stack going forward and
// another coming back, as label switched paths have per-direction labels.
func mplsWrap(fwd, back []uint32, controlWord bool) wrapper {
	return func(isBack bool, inner []byte) []byte {
		labels := fwd
		if isBack {
			labels = back
		}
		return AppendMPLS(nil, labels, controlWord, inner)
	}
}

// mplsScenario: a two-label stack over IPv4, the IPv6 explicit null label,
// and an Ethernet pseudowire with a control word.
func mplsScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	e := encap{ether(EtherMPLS), mplsWrap([]uint32{16, 17}, []uint32{24, 25}, false)}
	s.encapLookup(e, ap(client4, 51000), ap(server4, portDNS), 0x7901, "mpls.example.com.")
	e = encap{ether(EtherMPLS), mplsWrap([]uint32{2}, []uint32{2}, false)}
	s.encapLookup(e, ap(client6, 51001), ap(server6, portDNS), 0x7902, "mpls6.example.com.")
	e = encap{ether(EtherMPLS), mplsWrap([]uint32{30, 1000}, []uint32{31, 1001}, true),
		ether(0)}
	s.encapLookup(e, ap(client4, 51002), ap(server4, portDNS), 0x7903, "pw.example.com.")
}

// pppoeScenario: a PPPoE session on VLAN 100 carrying IPv4 and IPv6.
func pppoeScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	pppoe := func(_ bool, inner []byte) []byte { return AppendPPPoE(nil, 0x1234, inner) }
	e := encap{ether(EtherPPPoE, 100), pppoe, pppWrap(false, false)}
	s.encapLookup(e, ap(client4, 51100), ap(server4, portDNS), 0x7a01, "pppoe.example.com.")
	s.encapLookup(e, ap(client6, 51101), ap(server6, portDNS), 0x7a02, "pppoe6.example.com.")
}

// pppScenario: PPP frames as DLT 9, with address and control bytes for
// IPv4 and without them, protocol compressed, for IPv6.
func pppScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkPPP})
	s.encapLookup(encap{pppWrap(true, false)}, ap(client4, 51200), ap(server4, portDNS),
		0x7b01, "ppp.example.com.")
	s.encapLookup(encap{pppWrap(false, true)}, ap(client6, 51201), ap(server6, portDNS),
		0x7b02, "ppp6.example.com.")
}

// chdlcWrap wraps in Cisco HDLC.
func chdlcWrap(_ bool, inner []byte) []byte {
	return AppendCHDLC(nil, IPEtherType(inner), inner)
}

// pppSerialScenario: DLT 50 holding PPP in HDLC-like framing, then Cisco
// HDLC.
func pppSerialScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkPPPSerial})
	s.encapLookup(encap{pppWrap(true, false)}, ap(client4, 51300), ap(server4, portDNS),
		0x7c01, "hdlc.example.com.")
	s.encapLookup(encap{chdlcWrap}, ap(client4, 51301), ap(server4, portDNS),
		0x7c02, "cisco.example.com.")
}

// chdlcScenario: Cisco HDLC (DLT 104) carrying IPv4 and IPv6.
func chdlcScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkCHDLC})
	s.encapLookup(encap{chdlcWrap}, ap(client4, 51400), ap(server4, portDNS),
		0x7d01, "chdlc.example.com.")
	s.encapLookup(encap{chdlcWrap}, ap(client6, 51401), ap(server6, portDNS),
		0x7d02, "chdlc6.example.com.")
}

// nflogScenario: NFLOG records of group 5, as a little-endian host writes
// them.
func nflogScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkNFLOG})
	nflog := func(_ bool, inner []byte) []byte {
		return AppendNFLOG(nil, 5, "dns", inner, false)
	}
	s.encapLookup(encap{nflog}, ap(client4, 51500), ap(server4, portDNS), 0x7e01,
		"nflog.example.com.")
	s.encapLookup(encap{nflog}, ap(client6, 51501), ap(server6, portDNS), 0x7e02,
		"nflog6.example.com.")
}

// dot11Wrap wraps in an 802.11 data frame between a station and its access
// point: to the AP going forward (QoS data when qos), from it coming back.
func dot11Wrap(qos bool) wrapper {
	var seq uint16
	return func(back bool, inner []byte) []byte {
		seq++
		h := Dot11{ToDS: true, QoS: qos, Addr1: apMAC, Addr2: clientMAC, Addr3: routerMAC,
			Seq: seq}
		if back {
			h = Dot11{FromDS: true, Addr1: clientMAC, Addr2: apMAC, Addr3: routerMAC, Seq: seq}
		}
		return h.Append(nil, IPEtherType(inner), inner)
	}
}

// radiotapScenario: 802.11 frames with radiotap headers and FCS.
func radiotapScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkRadiotap})
	var tsft uint64 = 1_000_000
	radiotap := func(_ bool, inner []byte) []byte {
		tsft += 250
		return AppendRadiotap(nil, tsft, true, inner)
	}
	e := encap{radiotap, dot11Wrap(true)}
	s.encapLookup(e, ap(client4, 51600), ap(server4, portDNS), 0x7f01, "wifi.example.com.")
	s.encapLookup(e, ap(client6, 51601), ap(server6, portDNS), 0x7f02, "wifi6.example.com.")
}

// wlanScenario: 802.11 data frames without radio header, then a lookup
// relayed between two access points (four addresses).
func wlanScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkIEEE80211})
	s.encapLookup(encap{dot11Wrap(false)}, ap(client4, 51700), ap(server4, portDNS), 0x8001,
		"wlan.example.com.")
	wds := func(back bool, inner []byte) []byte {
		h := Dot11{ToDS: true, FromDS: true, QoS: true, Addr1: peerMAC, Addr2: apMAC,
			Addr3: routerMAC, Addr4: clientMAC}
		if back {
			h.Addr1, h.Addr2, h.Addr3, h.Addr4 = apMAC, peerMAC, clientMAC, routerMAC
		}
		return h.Append(nil, IPEtherType(inner), inner)
	}
	s.encapLookup(encap{wds}, ap(client4, 51701), ap(server4, portDNS), 0x8002,
		"wds.example.com.")
}

// loopScenario: IPv4 and IPv6 lookups on OpenBSD loopback.
func loopScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkLoop})
	loop := func(_ bool, inner []byte) []byte { return AppendLoop(nil, inner) }
	loop4, loop6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	s.encapLookup(encap{loop}, ap(loop4, 51800), ap(loop4, portDNS), 0x8101,
		"loop.example.com.")
	s.encapLookup(encap{loop}, ap(loop6, 51801), ap(loop6, portDNS), 0x8102,
		"loop6.example.com.")
}

// pktapScenario: PKTAP records of a browser's lookups on en0 (Ethernet)
// and of a resolver's on lo0 (BSD loopback).
func pktapScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkPKTAP})
	pktap := func(link LinkType, ifname string, pid uint32, command string) wrapper {
		return func(_ bool, inner []byte) []byte {
			return AppendPKTAP(nil, link, ifname, pid, command, inner)
		}
	}
	e := encap{pktap(LinkEthernet, "en0", 412, "Safari"), ether(0)}
	s.encapLookup(e, ap(client4, 51900), ap(server4, portDNS), 0x8201, "pktap.example.com.")

	null := func(_ bool, inner []byte) []byte {
		l := Link{Type: LinkNull}
		return l.AppendFrame(nil, inner)
	}
	loop4 := netip.MustParseAddr("127.0.0.1")
	e = encap{pktap(LinkNull, "lo0", 88, "mDNSResponder"), null}
	s.encapLookup(e, ap(loop4, 51901), ap(loop4, portDNS), 0x8202, "lo0.example.com.")
}

// nestedScenario: a lookup in VXLAN in GRE in MPLS on a VLAN; then one
// transaction captured twice on a SPAN port, once plain and once inside a
// GRE tunnel, which makes two lookups with different paths.
func nestedScenario(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	vxlan := func(_ bool, inner []byte) []byte { return AppendVXLAN(nil, 5000, inner) }
	keyed := GRE{HasKey: true, Key: 7}
	e := encap{ether(EtherMPLS, 10), mplsWrap([]uint32{100, 200}, []uint32{300, 400}, false),
		outerIP(tunnelA4, tunnelB4, ProtoGRE), greWrap(keyed, keyed),
		outerUDP(ap(tunnelA6, 51000), ap(tunnelB6, PortVXLAN),
			ap(tunnelB6, 51001), ap(tunnelA6, PortVXLAN)),
		vxlan, ether(0, 20)}
	s.encapLookup(e, ap(client6, 52000), ap(server6, portDNS), 0x8301, "deep.example.com.")

	client, server := ap(client4, 52001), ap(server4, portDNS)
	q := NewQuery(0x8302, "twice.example.com.", dns.TypeA)
	r := NewResponse(q, dns.RcodeSuccess, MustRR("twice.example.com. 300 IN A 192.0.2.99"))
	plain := encap{ether(0)}
	tunnel := encap{ether(0), outerIP(tunnelA4, tunnelB4, ProtoGRE), greWrap(GRE{}, GRE{})}
	query := s.innerUDP(client, server, s.pack(q))
	s.write(plain.frame(false, query))
	s.write(tunnel.frame(false, query))
	s.truth.Messages++ // the second copy
	s.after(3 * time.Millisecond)
	response := s.innerUDP(server, client, s.pack(r))
	s.write(plain.frame(true, response))
	s.write(tunnel.frame(true, response))
	s.truth.Messages++
	s.truth.Records++
	s.truth.Answered += 2
}

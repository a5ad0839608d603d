package capgen

import (
	"net/netip"

	"github.com/miekg/dns"
)

// linkScenarios are the link layers and IP header variants.
func linkScenarios() []Scenario {
	return []Scenario{
		{Name: "vlan", File: "vlan.pcap",
			About: "Ethernet with one 802.1Q tag (VLAN 101)",
			run:   taggedEthernet(101)},
		{Name: "qinq", File: "qinq.pcap",
			About: "Ethernet with 802.1ad service tag 300 around 802.1Q tag 101",
			run:   taggedEthernet(300, 101)},
		{Name: "sll", File: "sll.pcap",
			About: "Linux cooked capture v1 (DLT 113); IPv4 and IPv6 lookups",
			run:   rawLink(LinkSLL, true)},
		{Name: "sll2", File: "sll2.pcap",
			About: "Linux cooked capture v2 (DLT 276); IPv4 and IPv6 lookups",
			run:   rawLink(LinkSLL2, true)},
		{Name: "raw-ipv4", File: "raw-ipv4.pcap",
			About: "raw IP (DLT 101) carrying IPv4 and IPv6",
			run:   rawLink(LinkRaw, true)},
		{Name: "raw-dlt228", File: "raw-dlt228.pcap",
			About: "raw IPv4 (DLT 228)",
			run:   rawLink(LinkIPv4, false)},
		{Name: "raw-ipv6-229", File: "raw-ipv6-229.pcap",
			About: "raw IPv6 (DLT 229)",
			run:   rawIPv6},
		{Name: "raw-dlt12", File: "raw-dlt12.pcap",
			About: "raw IP numbered DLT 12 (DLT_RAW on most BSDs); IPv4 and IPv6",
			run:   rawLink(LinkRaw12, true)},
		{Name: "raw-dlt14", File: "raw-dlt14.pcap",
			About: "raw IP numbered DLT 14 (DLT_RAW on OpenBSD); IPv4 and IPv6",
			run:   rawLink(LinkRaw14, true)},
		{Name: "null-loopback", File: "null-loopback.pcap",
			About: "BSD loopback (DLT 0), little-endian host: IPv4 (family 2) and IPv6 " +
				"(families 24, 28, 30)",
			run: nullLoopback(false)},
		{Name: "null-loopback-be", File: "null-loopback-be.pcap",
			About: "BSD loopback (DLT 0) captured on a big-endian host: family in big-endian",
			run:   nullLoopback(true)},
		{Name: "ipv6-ext-headers", File: "ipv6-ext-headers.pcap",
			About: "IPv6 with hop-by-hop and destination options before UDP; then a segment routing header",
			run:   ipv6ExtHeaders},
		{Name: "ipv4-options", File: "ipv4-options.pcap",
			About: "IPv4 headers with options (Router Alert): a 24-byte header",
			run:   ipv4Options},
	}
}

// taggedEthernet writes two lookups on Ethernet with the given VLAN tags.
func taggedEthernet(vlans ...uint16) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		p := ethPath()
		p.Link.VLANs = vlans
		s.lookupA(p, ap(client4, 51000), ap(server4, portDNS), 0x0101, "vlan.example.com.",
			"192.0.2.41")
		s.lookupA(p, ap(client4b, 51001), ap(server4, portDNS), 0x0102, "tagged.example.com.",
			"192.0.2.42")
	}
}

// rawLink writes an IPv4 lookup and, with v6, an IPv6 lookup on a link of
// type t.
func rawLink(t LinkType, v6 bool) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: t})
		p := linkPath(t)
		s.lookupA(p, ap(client4, 52000), ap(server4, portDNS), 0x0201, "raw.example.com.",
			"192.0.2.51")
		if v6 {
			lookupAAAA(s, p, ap(client6, 52001), ap(server6, portDNS), 0x0202,
				"raw6.example.com.")
		}
	}
}

// rawIPv6 writes two IPv6 lookups on DLT 229.
func rawIPv6(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkIPv6})
	p := linkPath(LinkIPv6)
	lookupAAAA(s, p, ap(client6, 52100), ap(server6, portDNS), 0x0301, "v6only.example.com.")
	lookupAAAA(s, p, ap(client6, 52101), ap(server6, portDNS), 0x0302, "v6too.example.com.")
}

// lookupAAAA writes an AAAA lookup answered with one address.
func lookupAAAA(s *scene, p *Path, client, server netip.AddrPort, id uint16, name string) {
	q := NewQuery(id, name, dns.TypeAAAA)
	r := NewResponse(q, dns.RcodeSuccess,
		MustRR(name+" 300 IN AAAA 2001:db8:cafe::"+itoa(int(id&0xff))))
	s.exchange(p, client, server, q, r, 4*frameGap)
}

// nullLoopback writes an IPv4 lookup and one IPv6 lookup per BSD IPv6
// family value on DLT 0.
func nullLoopback(bigEndian bool) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkNull, BigEndian: bigEndian})
		p := linkPath(LinkNull)
		p.Link.BigEndian = bigEndian
		loop4, loop6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
		s.lookupA(p, ap(loop4, 53000), ap(loop4, portDNS), 0x0401, "loop.example.com.",
			"192.0.2.61")
		for i, family := range []uint32{FamilyINET6BSD, FamilyINET6Fre, FamilyINET6Mac} {
			p.Link.Family6 = family
			lookupAAAA(s, p, ap(loop6, uint16(53001+i)), ap(loop6, portDNS),
				uint16(0x0402+i), "loop6.example.com.")
		}
	}
}

// ipv6ExtHeaders writes a lookup whose packets carry hop-by-hop and
// destination options, then one whose query carries a segment routing
// header (the response comes back without it).
func ipv6ExtHeaders(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := ethPath()
	tunnelLimit := []byte{4, 1, 0} // RFC 2473 tunnel encapsulation limit
	p.IPv6Ext = []ExtHeader{HopByHop(RouterAlert6), DestOptions(tunnelLimit)}
	lookupAAAA(s, p, ap(client6, 54000), ap(server6, portDNS), 0x0501, "ext.example.com.")

	p.IPv6Ext = []ExtHeader{RoutingHeader(RoutingSegment, server6,
		netip.MustParseAddr("2001:db8:ff::1"))}
	client, srv := ap(client6, 54001), ap(server6, portDNS)
	q := NewQuery(0x0502, "routed.example.com.", dns.TypeAAAA)
	s.send(p, client, srv, q)
	back := ethPath().Reverse()
	s.send(&back, srv, client, NewResponse(q, dns.RcodeSuccess,
		MustRR("routed.example.com. 300 IN AAAA 2001:db8:cafe::2")))
	s.truth.Answered++
}

// ipv4Options writes a lookup whose IPv4 headers carry Router Alert.
func ipv4Options(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := ethPath()
	p.IPv4Options = RouterAlert
	s.lookupA(p, ap(client4, 54100), ap(server4, portDNS), 0x0601, "options.example.com.",
		"192.0.2.71")
}

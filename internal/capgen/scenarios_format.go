package capgen

import (
	"net/netip"

	"github.com/miekg/dns"
)

// formatScenarios are the capture format and compression variants.
func formatScenarios() []Scenario {
	pcapOf := func(opt PcapOptions) func(*scene) {
		return func(s *scene) { s.usePcap(opt); basicLookups(s, 1) }
	}
	threeLookups := func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		basicLookups(s, 3)
	}
	return []Scenario{
		{Name: "pcap-us-le", File: "pcap-us-le.pcap",
			About: "classic pcap, microseconds, little-endian; Ethernet; one A lookup, two addresses",
			run:   pcapOf(PcapOptions{LinkType: LinkEthernet})},
		{Name: "pcap-us-be", File: "pcap-us-be.pcap",
			About: "classic pcap, microseconds, big-endian",
			run:   pcapOf(PcapOptions{LinkType: LinkEthernet, BigEndian: true})},
		{Name: "pcap-ns-le", File: "pcap-ns-le.pcap",
			About: "classic pcap, nanoseconds (magic a1b23c4d), little-endian",
			run:   pcapOf(PcapOptions{LinkType: LinkEthernet, Nanosecond: true})},
		{Name: "pcap-ns-be", File: "pcap-ns-be.pcap",
			About: "classic pcap, nanoseconds, big-endian",
			run:   pcapOf(PcapOptions{LinkType: LinkEthernet, Nanosecond: true, BigEndian: true})},
		{Name: "pcapng-multi-if", File: "pcapng-multi-if.pcapng",
			About: "pcapng, three interfaces (Ethernet µs, raw IPv4 ns, raw IPv6 2^-24 s), " +
				"frames interleaved",
			run: multiInterface},
		{Name: "pcapng-be", File: "pcapng-be.pcapng",
			About: "pcapng written big-endian, nanosecond interface",
			run: func(s *scene) {
				s.usePcapng(true, NgInterface{LinkType: LinkEthernet, TSResol: TSResolNano})
				basicLookups(s, 2)
			}},
		{Name: "pcapng-2-sections", File: "pcapng-2-sections.pcapng",
			About: "pcapng with two sections: little-endian Ethernet, then big-endian raw IP; " +
				"interface IDs restart",
			run: twoSections},
		{Name: "gzip", File: "gzip.pcap.gz", Compression: Gzip,
			About: "gzip-compressed classic pcap", run: threeLookups},
		{Name: "zstd", File: "zstd.pcap.zst", Compression: Zstd,
			About: "zstd-compressed classic pcap", run: threeLookups},
		{Name: "misnamed-zstd", File: "misnamed-zstd.pcap", Compression: Zstd,
			About: "zstd-compressed capture named .pcap: recognised by magic, not name",
			run:   threeLookups},
	}
}

// basicNames are the names basicLookups resolves.
var basicNames = []string{"www.example.com.", "mail.example.org.", "cdn.example.net."}

// basicLookups writes n A lookups from client4 to server4 over Ethernet,
// each answered with two addresses.
func basicLookups(s *scene, n int) {
	for i := range n {
		client := ap(client4, clientPort(i))
		s.lookupA(ethPath(), client, ap(server4, portDNS), uint16(0x1a2b+i), basicNames[i%3],
			"192.0.2."+itoa(80+2*i), "192.0.2."+itoa(81+2*i))
	}
}

// multiInterface writes one lookup per interface, the frames of the three
// interleaved.
func multiInterface(s *scene) {
	s.usePcapng(false,
		NgInterface{LinkType: LinkEthernet, Name: "eth0"},
		NgInterface{LinkType: LinkRaw, TSResol: TSResolNano, Name: "tun0"},
		NgInterface{LinkType: LinkIPv6, TSResol: TSResolPow2 | 24, Name: "ip6tnl0"})

	paths := []*Path{ethPath(), linkPath(LinkRaw), linkPath(LinkIPv6)}
	clients := []netip.AddrPort{ap(client4, 50001), ap(client4b, 50002), ap(client6, 50003)}
	servers := []netip.AddrPort{ap(server4, 53), ap(server4, 53), ap(server6, 53)}
	var queries, responses []*dns.Msg
	for i, name := range basicNames {
		q := NewQuery(uint16(0x6000+i), name, dns.TypeA)
		queries = append(queries, q)
		responses = append(responses,
			NewResponse(q, dns.RcodeSuccess, MustRR(name+" 60 IN A 192.0.2."+itoa(90+i))))
	}

	for i := range paths {
		s.iface = i
		s.send(paths[i], clients[i], servers[i], queries[i])
	}
	for i := range paths {
		s.iface = i
		back := paths[i].Reverse()
		s.send(&back, servers[i], clients[i], responses[i])
	}
	s.truth.Answered += len(paths)
}

// twoSections writes a lookup in each of two sections of opposite byte
// order.
func twoSections(s *scene) {
	s.usePcapng(false, NgInterface{LinkType: LinkEthernet, Name: "eth0"})
	basicLookups(s, 1)

	s.fail(s.ng.NewSection(true))
	s.addInterfaces(NgInterface{LinkType: LinkRaw, TSResol: TSResolNano, Name: "tun0"})
	s.iface = 0
	s.lookupA(linkPath(LinkRaw), ap(client4b, 50100), ap(server4, portDNS), 0x2b2b,
		"second.example.com.", "192.0.2.99")
}

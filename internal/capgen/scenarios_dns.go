package capgen

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// dnsScenarios are the DNS message and pairing cases.
func dnsScenarios() []Scenario {
	return []Scenario{
		{Name: "mdns", File: "mdns.pcap", run: multicastDNS,
			About: "mDNS queries and responses on 5353 (IPv4 and IPv6 multicast): never paired"},
		{Name: "llmnr", File: "llmnr.pcap", run: llmnr,
			About: "LLMNR query to 224.0.0.252:5355 and unicast response: never paired"},
		{Name: "nxdomain", File: "nxdomain.pcap", run: rcodeLookup(dns.RcodeNameError),
			About: "NXDOMAIN response with the zone's SOA in the authority section"},
		{Name: "servfail", File: "servfail.pcap", run: rcodeLookup(dns.RcodeServerFailure),
			About: "SERVFAIL response, no records"},
		{Name: "refused", File: "refused.pcap", run: rcodeLookup(dns.RcodeRefused),
			About: "REFUSED response, no records"},
		{Name: "unanswered", File: "unanswered.pcap", run: unanswered,
			About: "a query that gets no response"},
		{Name: "unsolicited", File: "unsolicited.pcap", run: unsolicited,
			About: "a response whose query was not captured"},
		{Name: "reversed-order", File: "reversed-order.pcapng", run: reversedOrder,
			About: "two interfaces merged: the response frame comes before its query " +
				"(later timestamp)"},
		{Name: "tc-bit", File: "tc-bit.pcap", run: truncatedResponse,
			About: "UDP response with the TC bit set and no answers"},
		{Name: "edns", File: "edns.pcap", run: ednsLookups,
			About: "EDNS: UDP size, DO bit, Client Subnet (IPv4 /24 and IPv6 /56), RRSIG answer"},
		{Name: "all-types", File: "all-types.pcap", run: allTypes,
			About: "one response with every record type (A ... DNSKEY, RRSIG, TYPE65280) " +
				"in all three sections"},
		{Name: "same-id-two-clients", File: "same-id-two-clients.pcap", run: sameID,
			About: "one transaction ID used at once by two clients and two ports of one " +
				"client, responses in another order"},
		{Name: "retransmitted-query", File: "retransmitted-query.pcap", run: retransmittedQuery,
			About: "the same query sent twice one second apart, one response"},
		{Name: "malformed-dns", File: "malformed-dns.pcap", run: malformedDNS,
			About: "garbage, a compression loop, a record cut short after the counted ones " +
				"and a label past the end, on UDP/53; then a good lookup"},
		{Name: "count-lie", File: "count-lie.pcap", run: countLie,
			About: "a response claiming two answers that holds one and ends there: " +
				"decodes (as miekg/dns does) with one record"},
		{Name: "non-dns", File: "non-dns.pcap", run: nonDNS,
			About: "only HTTP over TCP/80 and NTP over UDP/123: no DNS at all"},
		{Name: "ports-extra", File: "ports-extra.pcap", run: portsExtra,
			About: "DNS on UDP port 5300: found only when that port is configured"},
		{Name: "expired-pending", File: "expired-pending.pcap", run: expiredPending,
			About: "a response five minutes after its query: beyond any pairing timeout"},
	}
}

// server is the scenarios' recursive resolver.
var server = ap(server4, portDNS)

// multicastDNS writes an mDNS query and response over IPv4 and over IPv6.
func multicastDNS(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p4 := ethPath()
	p4.Link.Dst = HWAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}
	p4.TTL = 255 // RFC 6762 section 11
	p6 := ethPath()
	p6.Link.Dst = HWAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0xfb}
	p6.TTL = 255
	group4 := ap(netip.MustParseAddr("224.0.0.251"), portMDNS)
	group6 := ap(netip.MustParseAddr("ff02::fb"), portMDNS)
	printer4 := ap(netip.MustParseAddr("192.0.2.150"), portMDNS)
	printer6 := ap(netip.MustParseAddr("fe80::150"), portMDNS)

	s.send(p4, ap(client4, portMDNS), group4, mdnsQuery())
	s.send(p4, printer4, group4, mdnsResponse())
	s.send(p6, ap(netip.MustParseAddr("fe80::100"), portMDNS), group6, mdnsQuery())
	s.send(p6, printer6, group6, mdnsResponse())
	s.truth.Unanswered += 2
	s.truth.Unsolicited += 2
}

// mdnsQuery is a one-shot mDNS query for IPP printers (RFC 6762).
func mdnsQuery() *dns.Msg {
	q := NewQuery(0, "_ipp._tcp.local.", dns.TypePTR)
	q.RecursionDesired = false
	return q
}

// mdnsResponse is a printer's announcement: no question, authoritative,
// cache-flush bit on its unique records.
func mdnsResponse() *dns.Msg {
	m := new(dns.Msg)
	m.Response, m.Authoritative, m.Compress = true, true, true
	m.Answer = MustRRs(`
_ipp._tcp.local. 4500 IN PTR printer._ipp._tcp.local.
printer._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.
printer._ipp._tcp.local. 4500 IN TXT "txtvers=1" "rp=ipp/print"
printer.local. 120 IN A 192.0.2.150
`)
	for _, rr := range m.Answer[1:] {
		rr.Header().Class |= 0x8000 // cache flush
	}
	return m
}

// llmnr writes an LLMNR query to the multicast group and the unicast
// response from the host that has the name (RFC 4795).
func llmnr(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := ethPath()
	p.Link.Dst = HWAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfc}
	client := ap(client4, 55000)
	holder := ap(netip.MustParseAddr("192.0.2.20"), portLLMNR)

	q := NewQuery(0x7001, "fileserver.", dns.TypeA)
	q.RecursionDesired = false
	s.send(p, client, ap(netip.MustParseAddr("224.0.0.252"), portLLMNR), q)
	r := NewResponse(q, dns.RcodeSuccess, MustRR("fileserver. 30 IN A 192.0.2.20"))
	r.RecursionAvailable = false
	back := ethPath().Reverse()
	s.send(&back, holder, client, r)
	s.truth.Unanswered++
	s.truth.Unsolicited++
}

// rcodeLookup writes a lookup answered with rcode; an NXDOMAIN carries the
// zone's SOA.
func rcodeLookup(rcode int) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		q := NewQuery(0x0800+uint16(rcode), "nosuch.example.com.", dns.TypeA)
		r := NewResponse(q, rcode)
		if rcode == dns.RcodeNameError {
			r.Ns = []dns.RR{MustRR("example.com. 900 IN SOA ns1.example.com. " +
				"hostmaster.example.com. 2024051701 7200 3600 1209600 900")}
		}
		s.exchange(ethPath(), ap(client4, 56000), server, q, r, 12*time.Millisecond)
	}
}

// unanswered writes one query alone.
func unanswered(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	s.send(ethPath(), ap(client4, 56100), server, NewQuery(0x0901, "silent.example.com.",
		dns.TypeA))
	s.truth.Unanswered++
}

// unsolicited writes one response alone.
func unsolicited(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	q := NewQuery(0x0a01, "orphan.example.com.", dns.TypeA)
	r := NewResponse(q, dns.RcodeSuccess, MustRR("orphan.example.com. 300 IN A 192.0.2.66"))
	back := ethPath().Reverse()
	s.send(&back, server, ap(client4, 56200), r)
	s.truth.Unsolicited++
}

// reversedOrder writes a response captured on one interface before the
// query captured on another, the response's timestamp 2 ms after the
// query's.
func reversedOrder(s *scene) {
	s.usePcapng(false,
		NgInterface{LinkType: LinkEthernet, Name: "span-in"},
		NgInterface{LinkType: LinkEthernet, Name: "span-out"})
	client := ap(client4, 56300)
	q := NewQuery(0x0b01, "reordered.example.com.", dns.TypeA)
	r := NewResponse(q, dns.RcodeSuccess, MustRR("reordered.example.com. 300 IN A 192.0.2.67"))
	start := s.now

	s.iface, s.now = 1, start.Add(2*time.Millisecond)
	back := ethPath().Reverse()
	s.send(&back, server, client, r)
	s.iface, s.now = 0, start
	s.send(ethPath(), client, server, q)
	s.truth.Answered++
}

// truncatedResponse writes a lookup whose UDP response has TC set.
func truncatedResponse(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	q := NewQuery(0x0c01, "big.example.com.", dns.TypeTXT)
	r := NewResponse(q, dns.RcodeSuccess)
	r.Truncated = true
	s.exchange(ethPath(), ap(client4, 56400), server, q, r, 5*time.Millisecond)
}

// ednsLookups writes two lookups with EDNS: DO and Client Subnet, over IPv4
// and IPv6.
func ednsLookups(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	q := NewQuery(0x0d01, "signed.example.com.", dns.TypeA)
	SetEDNS(q, 4096, true, netip.MustParsePrefix("192.0.2.0/24"), 0)
	r := NewResponse(q, dns.RcodeSuccess, MustRR("signed.example.com. 300 IN A 192.0.2.77"),
		MustRR("signed.example.com. 300 IN RRSIG A 13 3 300 20240601000000 20240501000000 "+
			"4242 example.com. "+fakeBase64(3, 64)))
	r.AuthenticatedData = true
	SetEDNS(r, 1232, true, netip.MustParsePrefix("192.0.2.0/24"), 24)
	s.exchange(ethPath(), ap(client4, 56500), server, q, r, 8*time.Millisecond)

	q6 := NewQuery(0x0d02, "geo.example.com.", dns.TypeAAAA)
	SetEDNS(q6, 1232, false, netip.MustParsePrefix("2001:db8:1::/56"), 0)
	r6 := NewResponse(q6, dns.RcodeSuccess, MustRR("geo.example.com. 60 IN AAAA 2001:db8:e::1"))
	SetEDNS(r6, 1232, false, netip.MustParsePrefix("2001:db8:1::/56"), 48)
	s.exchange(ethPath(), ap(client6, 56501), ap(server6, portDNS), q6, r6, 9*time.Millisecond)
}

// allTypes writes the lookup of AllTypesResponse.
func allTypes(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	q, r := AllTypesResponse(0x0e01)
	s.exchange(ethPath(), ap(client4, 56600), server, q, r, 20*time.Millisecond)
}

// sameID writes three queries with one transaction ID for one name, from
// two clients and two ports of one client, answered in another order with
// different addresses.
func sameID(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	clients := []netip.AddrPort{ap(client4, 50000), ap(client4b, 50000), ap(client4, 50001)}
	var responses []*dns.Msg
	for i, c := range clients {
		q := NewQuery(0x4242, "shared.example.com.", dns.TypeA)
		s.send(ethPath(), c, server, q)
		responses = append(responses, NewResponse(q, dns.RcodeSuccess,
			MustRR("shared.example.com. 300 IN A 192.0.2."+itoa(1+i))))
	}
	back := ethPath().Reverse()
	for _, i := range []int{1, 2, 0} {
		s.send(&back, server, clients[i], responses[i])
	}
	s.truth.Answered += len(clients)
}

// retransmittedQuery writes a query, the same query again a second later,
// and one response.
func retransmittedQuery(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	client := ap(client4, 56700)
	q := NewQuery(0x0f01, "slow.example.com.", dns.TypeA)
	s.send(ethPath(), client, server, q)
	s.after(time.Second)
	s.send(ethPath(), client, server, q)
	s.after(3 * time.Millisecond)
	back := ethPath().Reverse()
	s.send(&back, server, client, NewResponse(q, dns.RcodeSuccess,
		MustRR("slow.example.com. 300 IN A 192.0.2.88")))
	s.truth.Answered++
	s.truth.Unanswered++
}

// Malformed DNS payloads.
var (
	// garbage is shorter than a DNS header.
	garbage = []byte{0x47, 0x45, 0x54, 0x20, 0x2f}
	// compressionLoop is a query whose name is a pointer to itself.
	compressionLoop = []byte{
		0x10, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
	}
	// labelPastEnd is a query whose first label claims 63 bytes, 3 present.
	labelPastEnd = []byte{
		0x10, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x3f, 'w', 'w', 'w',
	}
)

// countBeyondData returns a response for name that claims two answers but
// holds one, followed by stray bytes if stray is set. Without stray bytes
// the message ends at a record boundary, and miekg/dns decodes it with the
// one answer (it treats such counts as lies, not errors); with them, no
// decoder can read a second record.
func countBeyondData(id uint16, name string, stray bool) []byte {
	q := NewQuery(id, name, dns.TypeA)
	r := NewResponse(q, dns.RcodeSuccess, MustRR(name+" 300 IN A 192.0.2.99"))
	b, err := r.Pack()
	if err != nil {
		panic("capgen: " + err.Error()) // a constant message always packs
	}
	b[7] = 2 // ANCOUNT
	if stray {
		b = append(b, 0x00, 0x01, 0x00) // root name, then a type cut short
	}
	return b
}

// malformedDNS writes four payloads that do not decode, then a good lookup.
func malformedDNS(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	client := ap(client4, 56800)
	back := ethPath().Reverse()
	s.malformed(ethPath(), client, server, garbage)
	s.malformed(ethPath(), client, server, compressionLoop)
	s.malformed(&back, server, client, countBeyondData(0x1002, "short.example.com.", true))
	s.malformed(ethPath(), client, server, labelPastEnd)
	s.lookupA(ethPath(), client, server, 0x1005, "fine.example.com.", "192.0.2.98")
}

// countLie writes a query and a response whose answer count is one more
// than the answers it holds.
func countLie(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	client := ap(client4, 56900)
	name := "liar.example.com."
	s.send(ethPath(), client, server, NewQuery(0x1301, name, dns.TypeA))
	payload := countBeyondData(0x1301, name, false)
	back := ethPath().Reverse()
	s.udp(&back, server, client, payload)
	s.truth.Messages++
	s.truth.Records++
	s.truth.Answered++
}

// nonDNS writes an HTTP exchange over TCP and an NTP exchange over UDP.
func nonDNS(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := ethPath()
	web := NewConn(ap(client4, 57000), ap(netip.MustParseAddr("203.0.113.80"), 80),
		0x1000_0000, 0x2000_0000)
	s.tcp(p, web.Handshake()...)
	s.tcp(p, web.Send(true, []byte("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"))...)
	s.tcp(p, web.Send(false, []byte("HTTP/1.1 204 No Content\r\nServer: test\r\n\r\n"))...)
	s.tcp(p, web.Close(true)...)

	ntpServer := ap(netip.MustParseAddr("203.0.113.123"), 123)
	request := make([]byte, 48)
	request[0] = 0x23 // version 4, client mode
	s.udp(p, ap(client4, 123), ntpServer, request)
	reply := make([]byte, 48)
	reply[0], reply[1] = 0x24, 2 // version 4, server mode, stratum 2
	back := p.Reverse()
	s.udp(&back, ntpServer, ap(client4, 123), reply)
}

// portsExtra writes a lookup to a server on UDP port 5300.
func portsExtra(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	s.truth.Ports = []uint16{5300}
	s.lookupA(ethPath(), ap(client4, 57100), ap(server4, 5300), 0x1101, "alt-port.example.com.",
		"192.0.2.97")
}

// expiredPending writes a query, a lookup a minute later, and the first
// query's response five minutes after the query.
func expiredPending(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	client := ap(client4, 57200)
	start := s.now
	q := NewQuery(0x1201, "late.example.com.", dns.TypeA)
	s.send(ethPath(), client, server, q)

	s.after(time.Minute)
	s.lookupA(ethPath(), ap(client4, 57201), server, 0x1202, "prompt.example.com.", "192.0.2.96")

	s.now = start.Add(5 * time.Minute)
	back := ethPath().Reverse()
	s.send(&back, server, client, NewResponse(q, dns.RcodeSuccess,
		MustRR("late.example.com. 300 IN A 192.0.2.95")))
	s.truth.Unanswered++
	s.truth.Unsolicited++
}

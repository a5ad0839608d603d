package capgen

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// fragmentScenarios are the IP fragmentation cases.
func fragmentScenarios() []Scenario {
	return []Scenario{
		{Name: "ipv4-frags", File: "ipv4-frags.pcap", run: fragmented(false, false),
			About: "IPv4: a 3.4 kB UDP response in three fragments, in order"},
		{Name: "ipv4-frags-reversed", File: "ipv4-frags-reversed.pcap",
			run:   fragmented(false, true),
			About: "IPv4: the same fragments captured last first"},
		{Name: "ipv6-frags", File: "ipv6-frags.pcap", run: fragmented(true, false),
			About: "IPv6: a 3.4 kB UDP response in fragments of 1232 bytes, in order"},
	}
}

// bigResponse returns a TXT query with EDNS and its response of fifteen
// 200-byte strings, about 3.4 kB.
func bigResponse(id uint16) (query, response *dns.Msg) {
	name := "bulk.example.com."
	query = NewQuery(id, name, dns.TypeTXT)
	SetEDNS(query, 4096, false, netip.Prefix{}, 0)
	response = NewResponse(query, dns.RcodeSuccess)
	for i := range 15 {
		text := fmt.Sprintf("chunk-%02d-", i)
		for len(text) < 200 {
			text += "abcdefghijklmnopqrstuvwxyz0123456789"
		}
		response.Answer = append(response.Answer,
			MustRR(fmt.Sprintf(`%s 300 IN TXT "%s"`, name, text[:200])))
	}
	SetEDNS(response, 4096, false, netip.Prefix{}, 0)
	return query, response
}

// fragmented writes a lookup whose response is cut into IP fragments, over
// IPv6 if v6, captured in reverse order if reversed.
func fragmented(v6, reversed bool) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		p := ethPath()
		client, srv := ap(client4, 59000), ap(server4, portDNS)
		if v6 {
			client, srv = ap(client6, 59000), ap(server6, portDNS)
		}
		q, r := bigResponse(0x3001)
		s.send(p, client, srv, q)
		s.after(15 * time.Millisecond)

		datagram := AppendUDP(nil, srv, client, s.pack(r))
		var frags [][]byte
		if v6 {
			h := IPv6{Src: srv.Addr(), Dst: client.Addr()}
			frags = FragmentIPv6(&h, ProtoUDP, datagram, 1232, 0x5eed)
		} else {
			h := s.framer.IPv4Header(p, srv.Addr(), client.Addr())
			frags = FragmentIPv4(&h, ProtoUDP, datagram, 1480)
		}
		if reversed {
			slices.Reverse(frags)
		}
		back := p.Reverse()
		for _, f := range frags {
			s.write(s.framer.Frame(&back, f))
		}
		s.truth.Answered++
	}
}

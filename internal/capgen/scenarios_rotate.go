package capgen

import (
	"time"

	"github.com/miekg/dns"
)

// rotateAt is when the first file of a rotated pair ends and the second
// begins.
var rotateAt = baseTime.Add(time.Second)

// rotationScenarios are pairs of captures that a rotating capture tool
// would write one after the other.
func rotationScenarios() []Scenario {
	return []Scenario{
		{Name: "rotated-a", File: "rotated-a.pcap", run: rotatedUDP(false),
			About: "first file of a rotation: a lookup, then a query whose response is in rotated-b"},
		{Name: "rotated-b", File: "rotated-b.pcap", run: rotatedUDP(true),
			Follows: "rotated-a",
			Joint: &Truth{Status: StatusComplete, Frames: 6, Messages: 6, Answered: 3,
				Records: 4},
			About: "second file: the response to rotated-a's last query, then a lookup"},
		{Name: "tcp-rotated-a", File: "tcp-rotated-a.pcap", run: rotatedTCP(false),
			About: "first file: TCP handshake, query and the first segment of the response"},
		{Name: "tcp-rotated-b", File: "tcp-rotated-b.pcap", run: rotatedTCP(true),
			Follows: "tcp-rotated-a",
			Joint: &Truth{Status: StatusComplete, Frames: 10, Messages: 2, Answered: 1,
				Records: 2},
			About: "second file: the rest of tcp-rotated-a's response (undecodable alone), FIN"},
	}
}

// rotatedUDP writes one half of a rotated UDP pair: a lookup and a query
// (first half), or that query's response and a lookup (second half).
func rotatedUDP(second bool) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		client := ap(client4, 59100)
		q := NewQuery(0x3101, "across.example.com.", dns.TypeA)
		if !second {
			s.lookupA(ethPath(), ap(client4, 59101), server, 0x3100, "before.example.com.",
				"192.0.2.190")
			s.now = rotateAt.Add(-2 * time.Millisecond)
			s.send(ethPath(), client, server, q)
			s.truth.Unanswered++
			return
		}

		s.now = rotateAt.Add(time.Millisecond)
		back := ethPath().Reverse()
		s.send(&back, server, client, NewResponse(q, dns.RcodeSuccess,
			MustRR("across.example.com. 300 IN A 192.0.2.191")))
		s.truth.Unsolicited++
		s.lookupA(ethPath(), ap(client4, 59102), server, 0x3102, "after.example.com.",
			"192.0.2.192", "192.0.2.193")
	}
}

// rotatedTCP writes one half of a TCP connection whose response is cut by
// the rotation. The response's second segment starts at its first answer,
// whose compressed owner name (0xc00c) would read as a length prefix far
// beyond the data, so a reader given the second file alone decodes nothing.
func rotatedTCP(second bool) func(*scene) {
	return func(s *scene) {
		s.usePcap(PcapOptions{LinkType: LinkEthernet})
		p := tcpPath()
		c := NewConn(ap(client4, 59200), tcpServer, 0x1357_0000, 0x2468_0000)
		q := NewQuery(0x3201, "rotating.example.com.", dns.TypeA)
		r := NewResponse(q, dns.RcodeSuccess, MustRRs(`
rotating.example.com. 300 IN A 192.0.2.201
rotating.example.com. 300 IN A 192.0.2.202
`)...)
		query := s.packIf(!second, q)
		response := s.packIf(false, r) // complete in neither file alone
		headAndQuestion := 2 + 12 + len(q.Question[0].Name) + 1 + 4

		var segs []Segment
		segs = append(segs, c.Handshake()...)
		segs = append(segs, c.Send(true, LengthPrefixed(query))...)
		segs = append(segs, c.Send(false, LengthPrefixed(response), headAndQuestion)...)
		segs = append(segs, c.Ack(true))
		segs = append(segs, c.Close(true)...)

		if !second {
			s.now = rotateAt.Add(-2 * time.Millisecond)
			s.tcp(p, segs[:5]...)
			s.truth.Unanswered++
			return
		}
		s.now = rotateAt.Add(time.Millisecond)
		s.tcp(p, segs[5:]...)
	}
}

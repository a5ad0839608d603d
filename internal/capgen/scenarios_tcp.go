package capgen

import (
	"time"

	"github.com/miekg/dns"
)

// tcpScenarios are the DNS over TCP cases.
func tcpScenarios() []Scenario {
	return []Scenario{
		{Name: "tcp-simple", File: "tcp-simple.pcap", run: tcpSimple,
			About: "TCP: handshake, one query, one response, FIN; padded Ethernet ACKs"},
		{Name: "tcp-pipelined", File: "tcp-pipelined.pcap", run: tcpPipelined,
			About: "TCP: three queries on one connection, responses in another order"},
		{Name: "tcp-split-3", File: "tcp-split-3.pcap", run: tcpSplit3,
			About: "TCP: a response in three segments, the length prefix itself split; " +
				"sequence numbers wrap past 2^32"},
		{Name: "tcp-two-in-one", File: "tcp-two-in-one.pcap", run: tcpTwoInOne,
			About: "TCP: two queries in one segment, two responses in one segment"},
		{Name: "tcp-retransmit", File: "tcp-retransmit.pcap", run: tcpRetransmit,
			About: "TCP: query and response segments each sent twice"},
		{Name: "tcp-out-of-order", File: "tcp-out-of-order.pcap", run: tcpOutOfOrder,
			About: "TCP: the second segment of a response captured before the first"},
		{Name: "tcp-missing-segment", File: "tcp-missing-segment.pcap", run: tcpMissingSegment,
			About: "TCP: the segment with the second of three queries was not captured; " +
				"its response is unsolicited"},
		{Name: "tcp-midstream", File: "tcp-midstream.pcap", run: tcpMidstream,
			About: "TCP: capture starts after the handshake (no SYN)"},
	}
}

// tcpServer is the DNS server of the TCP scenarios.
var tcpServer = ap(server4, portDNS)

// tcpPath is the path of the TCP scenarios: Ethernet, padded to 60 bytes.
func tcpPath() *Path {
	p := ethPath()
	p.Link.Pad = true
	return p
}

// tcpLookup returns a query for name and its response with one A record,
// packed and counted.
func tcpLookup(s *scene, id uint16, name, addr string) (query, response []byte) {
	q := NewQuery(id, name, dns.TypeA)
	r := NewResponse(q, dns.RcodeSuccess, MustRR(name+" 300 IN A "+addr))
	return s.pack(q), s.pack(r)
}

// tcpSimple writes a whole connection with one lookup.
func tcpSimple(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58000), tcpServer, 0x1111_0000, 0x2222_0000)
	q, r := tcpLookup(s, 0x2001, "tcp.example.com.", "192.0.2.111")

	s.tcp(p, c.Handshake()...)
	s.tcp(p, c.Send(true, LengthPrefixed(q))...)
	s.tcp(p, c.Ack(false))
	s.tcp(p, c.Send(false, LengthPrefixed(r))...)
	s.tcp(p, c.Ack(true))
	s.tcp(p, c.Close(true)...)
	s.truth.Answered++
}

// tcpPipelined writes three queries, each in its own segment, answered in
// the order 3, 1, 2.
func tcpPipelined(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58100), tcpServer, 0x3333_0000, 0x4444_0000)
	s.tcp(p, c.Handshake()...)

	var responses [][]byte
	for i := range 3 {
		q, r := tcpLookup(s, uint16(0x2101+i), "pipe"+itoa(i+1)+".example.com.",
			"192.0.2."+itoa(121+i))
		s.tcp(p, c.Send(true, LengthPrefixed(q))...)
		responses = append(responses, r)
	}
	for _, i := range []int{2, 0, 1} {
		s.tcp(p, c.Send(false, LengthPrefixed(responses[i]))...)
	}
	s.tcp(p, c.Close(true)...)
	s.truth.Answered += 3
}

// tcpSplit3 writes a response cut after 1 and 41 bytes, the server's
// sequence numbers crossing 2^32 within it.
func tcpSplit3(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58200), tcpServer, 0x5555_0000, 0xffff_ffe0)
	q, r := tcpLookup(s, 0x2201, "split.example.com.", "192.0.2.131")

	s.tcp(p, c.Handshake()...)
	s.tcp(p, c.Send(true, LengthPrefixed(q))...)
	s.tcp(p, c.Send(false, LengthPrefixed(r), 1, 40)...)
	s.tcp(p, c.Ack(true))
	s.tcp(p, c.Close(false)...)
	s.truth.Answered++
}

// tcpTwoInOne writes two queries in one segment and their responses in one
// segment.
func tcpTwoInOne(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58300), tcpServer, 0x6666_0000, 0x7777_0000)
	q1, r1 := tcpLookup(s, 0x2301, "first.example.com.", "192.0.2.141")
	q2, r2 := tcpLookup(s, 0x2302, "second.example.com.", "192.0.2.142")

	s.tcp(p, c.Handshake()...)
	s.tcp(p, c.Send(true, LengthPrefixed(q1, q2))...)
	s.tcp(p, c.Send(false, LengthPrefixed(r1, r2))...)
	s.tcp(p, c.Close(true)...)
	s.truth.Answered += 2
}

// tcpRetransmit writes the query and the response segments twice each, the
// copy 200 ms after the original.
func tcpRetransmit(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58400), tcpServer, 0x8888_0000, 0x9999_0000)
	q, r := tcpLookup(s, 0x2401, "again.example.com.", "192.0.2.151")

	s.tcp(p, c.Handshake()...)
	query := c.Send(true, LengthPrefixed(q))
	s.tcp(p, query...)
	s.after(200 * time.Millisecond)
	s.tcp(p, query...)
	response := c.Send(false, LengthPrefixed(r))
	s.tcp(p, response...)
	s.after(200 * time.Millisecond)
	s.tcp(p, response...)
	s.tcp(p, c.Close(true)...)
	s.truth.Answered++
}

// tcpOutOfOrder writes a response's two segments last first.
func tcpOutOfOrder(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58500), tcpServer, 0xaaaa_0000, 0xbbbb_0000)
	q, r := tcpLookup(s, 0x2501, "swapped.example.com.", "192.0.2.161")

	s.tcp(p, c.Handshake()...)
	s.tcp(p, c.Send(true, LengthPrefixed(q))...)
	response := c.Send(false, LengthPrefixed(r), 30)
	s.tcp(p, response[1], response[0])
	s.tcp(p, c.Close(true)...)
	s.truth.Answered++
}

// tcpMissingSegment writes three queries in three segments, the second
// never captured, and all three responses.
func tcpMissingSegment(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58600), tcpServer, 0xcccc_0000, 0xdddd_0000)
	s.tcp(p, c.Handshake()...)

	var responses [][]byte
	for i := range 3 {
		q := NewQuery(uint16(0x2601+i), "gap"+itoa(i+1)+".example.com.", dns.TypeA)
		r := NewResponse(q, dns.RcodeSuccess,
			MustRR("gap"+itoa(i+1)+".example.com. 300 IN A 192.0.2."+itoa(171+i)))
		segs := c.Send(true, LengthPrefixed(s.packIf(i != 1, q)))
		if i != 1 {
			s.tcp(p, segs...)
		}
		responses = append(responses, s.pack(r))
	}
	for _, r := range responses {
		s.tcp(p, c.Send(false, LengthPrefixed(r))...)
	}
	s.tcp(p, c.Close(true)...)
	s.truth.Answered += 2
	s.truth.Unsolicited++
}

// tcpMidstream writes a lookup and the close of a connection whose
// handshake was not captured.
func tcpMidstream(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	p := tcpPath()
	c := NewConn(ap(client4, 58700), tcpServer, 0x0eee_1234, 0x0fff_5678)
	q, r := tcpLookup(s, 0x2701, "midstream.example.com.", "192.0.2.181")

	s.tcp(p, c.Send(true, LengthPrefixed(q))...)
	s.tcp(p, c.Send(false, LengthPrefixed(r))...)
	s.tcp(p, c.Close(true)...)
	s.truth.Answered++
}

package capgen

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// hostileScenarios are DNS payloads crafted against decoders: compression
// pointers that loop or lead nowhere, label and name length violations,
// counts that promise what is not there, and legitimate but extreme
// messages (a 61 kB TXT record, a CNAME chain of 300 links).
func hostileScenarios() []Scenario {
	return []Scenario{
		{Name: "hostile-names", File: "hostile-names.pcap", run: hostileNames,
			About: "queries whose names point out of the message, loop through two " +
				"pointers, use reserved label types or exceed 255 octets (malformed); " +
				"a forward pointer and a name of exactly 255 octets (decoded)"},
		{Name: "hostile-records", File: "hostile-records.pcap", run: hostileRecords,
			About: "responses claiming 65535 records, with a record data length past " +
				"the end, a CNAME pointing at itself (malformed); a 61 kB TXT, " +
				"60000 empty TXT strings, unknown types and classes, a 300-link CNAME " +
				"chain (decoded)"},
	}
}

// hostileClient is the client of the hostile scenarios.
var hostileClient = ap(client4, 57100)

// rawQuery returns a query header with ID id and one question, followed by
// the raw bytes of its question section (name, type and class): the
// caller crafts the name.
func rawQuery(id uint16, question ...byte) []byte {
	h := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}
	return append(h, question...)
}

// typeAClassIN ends a question: QTYPE A, QCLASS IN.
var typeAClassIN = []byte{0x00, 0x01, 0x00, 0x01}

// labels returns n labels of size bytes each, the letter c repeated,
// without the root.
func labels(n, size int, c byte) []byte {
	var b []byte
	for range n {
		b = append(b, byte(size))
		b = append(b, strings.Repeat(string(c), size)...)
	}
	return b
}

// hostileNames writes queries with crafted names, then a good lookup.
func hostileNames(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	c := hostileClient
	malformed := [][]byte{
		// The name is a pointer to offset 0x3fff, far past the end.
		rawQuery(0x2001, append([]byte{0xff, 0xff}, typeAClassIN...)...),
		// The name at 12 points to 14, which points back to 12.
		rawQuery(0x2002, append([]byte{0xc0, 0x0e, 0xc0, 0x0c}, typeAClassIN...)...),
		// A label length of 64: the top bits 01 are the obsolete extended
		// label type (RFC 6891 section 5), not a length.
		rawQuery(0x2003, append(append([]byte{0x40}, strings.Repeat("x", 64)...),
			append([]byte{0}, typeAClassIN...)...)...),
		// Label type 10, reserved (RFC 1035 section 4.1.4).
		rawQuery(0x2004, append([]byte{0x80, 0x01, 'x', 0}, typeAClassIN...)...),
		// Four labels of 63 octets: 257 octets with the root, over 255.
		rawQuery(0x2005, append(append(labels(4, 63, 'n'), 0), typeAClassIN...)...),
		// 254 octets of labels, then a pointer back to their start: the
		// name passes 255 octets long before the pointers run out.
		rawQuery(0x2006, append(append(labels(3, 63, 'p'), labels(1, 61, 'q')...),
			0xc0, 0x0c)...),
	}
	for _, m := range malformed {
		s.malformed(ethPath(), c, server, m)
	}

	// A pointer to a name after the question (RFC 1035 asks for a prior
	// one): decoders that follow any pointer in bounds read "fwd.".
	fwd := rawQuery(0x2007, append([]byte{0xc0, 0x12}, typeAClassIN...)...)
	fwd = append(fwd, 3, 'f', 'w', 'd', 0)
	s.decodedQuery(c, fwd)

	// The longest legal name: 127 one-octet labels and the root, 255 octets.
	longest := strings.Repeat("a.", 127)
	s.lookupA(ethPath(), c, server, 0x2008, longest, "192.0.2.120")
	s.lookupA(ethPath(), c, server, 0x2009, "after-names.example.", "192.0.2.121")
}

// decodedQuery writes a crafted query that decodes and has no response.
func (s *scene) decodedQuery(client netip.AddrPort, payload []byte) {
	if new(dns.Msg).Unpack(payload) != nil {
		s.fail(fmt.Errorf("capgen: crafted query %x does not decode", payload))
	}
	s.truth.Messages++
	s.truth.Unanswered++
	s.udp(ethPath(), client, server, payload)
}

// hostileRecords writes responses with crafted records, each after its
// query, then a good lookup.
func hostileRecords(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	c := hostileClient
	back := ethPath().Reverse()

	for i, damage := range []func([]byte) []byte{countsPromiseMore, rdlengthPastEnd,
		cnameToItself} {
		q := NewQuery(uint16(0x2100+i), "hostile"+itoa(i)+".example.", dns.TypeA)
		s.send(ethPath(), c, server, q)
		r := NewResponse(q, dns.RcodeSuccess, MustRR(q.Question[0].Name+" 60 IN A 192.0.2.130"))
		b, err := r.Pack()
		s.fail(err)
		s.malformed(&back, server, c, damage(b))
		s.truth.Unanswered++ // the query; its response does not decode
	}

	s.after(time.Millisecond)
	s.exchangeOf(c, dns.TypeTXT, "huge-txt.example.", hugeTXT("huge-txt.example."))
	s.exchangeOf(c, dns.TypeTXT, "empty-txt.example.", emptyTXT("empty-txt.example."))
	s.exchangeOf(c, dns.TypeANY, "unknown.example.", unknownTypes("unknown.example.")...)
	s.exchangeOf(c, dns.TypeA, "c1.chain.example.", cnameChain(300)...)
	s.lookupA(ethPath(), c, server, 0x2200, "after-records.example.", "192.0.2.131")
}

// exchangeOf writes an answered lookup of name and qtype with the answer.
func (s *scene) exchangeOf(client netip.AddrPort, qtype uint16, name string,
	answer ...dns.RR) {
	q := NewQuery(uint16(0x2300+s.truth.Frames), name, qtype)
	s.exchange(ethPath(), client, server, q, NewResponse(q, dns.RcodeSuccess, answer...),
		2*time.Millisecond)
}

// countsPromiseMore sets every record count of a packed response to
// 65535 and leaves three stray bytes after its one answer.
func countsPromiseMore(b []byte) []byte {
	for _, off := range []int{6, 8, 10} {
		binary.BigEndian.PutUint16(b[off:], 0xffff)
	}
	return append(b, 0x00, 0x00, 0x01)
}

// rdlengthPastEnd sets the answer's RDLENGTH (the last record of the
// response, whose data is four bytes) to 65535.
func rdlengthPastEnd(b []byte) []byte {
	binary.BigEndian.PutUint16(b[len(b)-6:], 0xffff)
	return b
}

// cnameToItself appends a CNAME answer whose target is a pointer to its
// own RDATA, and counts it.
func cnameToItself(b []byte) []byte {
	binary.BigEndian.PutUint16(b[6:], 2)
	rdata := len(b) + 12 // after owner (2), type, class, TTL and RDLENGTH (10)
	b = append(b, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x02)
	return append(b, 0xc0|byte(rdata>>8), byte(rdata))
}

// hugeTXT returns a TXT record of 240 strings of 255 octets: 61,440 octets
// of data, near the largest a UDP datagram carries.
func hugeTXT(name string) dns.RR {
	txt := make([]string, 240)
	for i := range txt {
		txt[i] = strings.Repeat(string(rune('a'+i%26)), 255)
	}
	return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET,
		Ttl: 60}, Txt: txt}
}

// emptyTXT returns a TXT record of 60000 empty strings: one octet each on
// the wire, three characters each in presentation format.
func emptyTXT(name string) dns.RR {
	return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET,
		Ttl: 60}, Txt: make([]string, 60000)}
}

// unknownTypes returns records of types and a class no registry knows,
// which decoders print in the RFC 3597 form.
func unknownTypes(name string) []dns.RR {
	return MustRRs(name + ` 60 IN TYPE65534 \# 4 deadbeef
` + name + ` 60 IN TYPE1000 \# 0
` + name + ` 60 CLASS65280 A 192.0.2.140`)
}

// cnameChain returns links CNAMEs c1.chain.example. -> c2 -> ... and the
// address of the last.
func cnameChain(links int) []dns.RR {
	var rrs []dns.RR
	for i := 1; i <= links; i++ {
		rrs = append(rrs, MustRR("c"+itoa(i)+".chain.example. 60 IN CNAME c"+itoa(i+1)+
			".chain.example."))
	}
	return append(rrs, MustRR("c"+itoa(links+1)+".chain.example. 60 IN A 192.0.2.150"))
}

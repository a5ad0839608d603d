package capgen

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// NewQuery returns a recursive query (RD set) for name and qtype with
// transaction ID id. Name is made fully qualified.
func NewQuery(id uint16, name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.Id = id
	m.RecursionDesired = true
	m.Question = []dns.Question{{Name: dns.Fqdn(name), Qtype: qtype, Qclass: dns.ClassINET}}
	return m
}

// NewResponse returns the response to q with the given rcode and answer
// records: same ID and question, QR and RA set, RD copied. Names are
// compressed when packed, as servers do.
func NewResponse(q *dns.Msg, rcode int, answer ...dns.RR) *dns.Msg {
	m := new(dns.Msg)
	m.Id = q.Id
	m.Response = true
	m.Opcode = q.Opcode
	m.RecursionDesired = q.RecursionDesired
	m.RecursionAvailable = true
	m.Rcode = rcode
	m.Compress = true
	m.Question = append([]dns.Question(nil), q.Question...)
	m.Answer = answer
	return m
}

// MustRR parses a record in zone-file presentation format and panics if it
// does not parse; it is meant for the constant records of scenarios.
func MustRR(text string) dns.RR {
	rr, err := dns.NewRR(text)
	if err != nil || rr == nil {
		panic(fmt.Sprintf("capgen: bad record %q: %v", text, err))
	}
	return rr
}

// MustRRs parses one record per line of text, skipping blank lines.
func MustRRs(text string) []dns.RR {
	var rrs []dns.RR
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) != "" {
			rrs = append(rrs, MustRR(line))
		}
	}
	return rrs
}

// SetEDNS adds an OPT record (RFC 6891) to m advertising udpSize, with the
// DNSSEC OK bit if do, and an EDNS Client Subnet option (RFC 7871) when
// ecs is valid; scope is the ECS scope prefix length (0 in queries).
func SetEDNS(m *dns.Msg, udpSize uint16, do bool, ecs netip.Prefix, scope uint8) {
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(udpSize)
	if do {
		opt.SetDo()
	}
	if ecs.IsValid() {
		family := uint16(1)
		if ecs.Addr().Is6() {
			family = 2
		}
		opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{
			Code:          dns.EDNS0SUBNET,
			Family:        family,
			SourceNetmask: uint8(ecs.Bits()),
			SourceScope:   scope,
			Address:       net.IP(ecs.Masked().Addr().AsSlice()),
		})
	}
	m.Extra = append(m.Extra, opt)
}

// RecordCount returns the number of resource records in the answer,
// authority and additional sections of m, OPT excluded: the records a
// lookup of m stores.
func RecordCount(m *dns.Msg) int {
	n := len(m.Answer) + len(m.Ns)
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			n++
		}
	}
	return n
}

// fakeBase64 returns n pseudo-random-looking bytes derived from seed, in
// base64, for the key and signature fields of DNSSEC records.
func fakeBase64(seed byte, n int) string {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// longTXT returns a TXT record for name whose data is two character strings,
// the first of the maximum 255 bytes.
func longTXT(name string) dns.RR {
	first := strings.Repeat("v=long;", 37)[:255]
	return MustRR(fmt.Sprintf(`%s 300 IN TXT "%s" "second string"`, name, first))
}

// AllTypesResponse returns a response to an ANY query for all.example. with
// one or more records of every type the scenarios exercise, in all three
// sections: A, AAAA, a CNAME chain, MX, TXT (a long one too), PTR, NS, SOA,
// HTTPS and SVCB with address hints, SRV, CAA, DNSKEY, RRSIG and the unknown
// type TYPE65280 with raw data.
func AllTypesResponse(id uint16) (query, response *dns.Msg) {
	query = NewQuery(id, "all.example.", dns.TypeANY)
	response = NewResponse(query, dns.RcodeSuccess, MustRRs(`
all.example. 300 IN A 192.0.2.10
all.example. 300 IN AAAA 2001:db8::10
www.all.example. 300 IN CNAME cdn.all.example.
cdn.all.example. 60 IN CNAME edge.cdn.example.
edge.cdn.example. 20 IN A 198.51.100.20
all.example. 300 IN MX 10 mail.all.example.
all.example. 300 IN TXT "v=spf1 -all"
10.2.0.192.in-addr.arpa. 3600 IN PTR all.example.
all.example. 300 IN HTTPS 1 . alpn="h2,h3" ipv4hint="192.0.2.10" ipv6hint="2001:db8::10"
_dns.all.example. 300 IN SVCB 1 dns.all.example. alpn="dot" port=853 ipv4hint="192.0.2.53"
_sip._tcp.all.example. 300 IN SRV 10 60 5060 sip.all.example.
all.example. 300 IN CAA 0 issue "ca.example"
all.example. 300 IN TYPE65280 \# 6 0a0b0c0d0e0f
`)...)
	response.Answer = append(response.Answer, longTXT("all.example."),
		MustRR("all.example. 3600 IN DNSKEY 257 3 13 "+fakeBase64(1, 64)),
		MustRR("all.example. 300 IN RRSIG A 13 2 300 20240601000000 20240501000000 "+
			"4242 all.example. "+fakeBase64(2, 64)))
	response.Ns = MustRRs(`
all.example. 3600 IN SOA ns1.all.example. hostmaster.all.example. 2024051701 7200 3600 1209600 300
all.example. 3600 IN NS ns1.all.example.
all.example. 3600 IN NS ns2.all.example.
`)
	response.Extra = MustRRs(`
ns1.all.example. 3600 IN A 192.0.2.53
ns1.all.example. 3600 IN AAAA 2001:db8::53
mail.all.example. 300 IN A 192.0.2.25
`)
	SetEDNS(query, 1232, true, netip.Prefix{}, 0)
	SetEDNS(response, 1232, true, netip.Prefix{}, 0)
	return query, response
}

// Pack packs m, wrapping the error.
func Pack(m *dns.Msg) ([]byte, error) {
	b, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("capgen: pack message %d: %w", m.Id, err)
	}
	return b, nil
}

package capgen

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/miekg/dns"
)

// Name universe of the benchmark captures: names, their popularity and the
// records they resolve to. Every answer is a pure function of the name's
// index and the seed, so a name resolves the same way each time it is asked,
// as in real passive DNS. Answer addresses are in the benchmarking ranges
// 198.18.0.0/15 (RFC 2544) and 2001:2::/48 (RFC 5180).

// syllables spell the generated domain labels.
var syllables = [...]string{
	"ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "da", "po", "fe", "gu", "zi", "ba", "co",
	"ly", "an", "el", "or", "un", "ix", "ar", "en", "os", "tri", "qua", "ber", "don", "mar",
	"sol", "tek", "vox",
}

// hostLabels are the first labels of the generated names.
var hostLabels = [...]string{
	"www", "api", "cdn", "mail", "static", "img", "login", "m", "app", "assets", "auth", "ws",
	"update", "telemetry", "files", "video",
}

// tlds are the top-level domains of the generated names, the first ones
// the most common.
var tlds = [...]string{"com", "net", "org", "io", "de", "co.uk", "fr", "nl", "info", "app"}

// benchNames is the universe of names with Zipf-like popularity.
type benchNames struct {
	seed  uint64
	names []string  // fully qualified, index 0 the most popular
	cdf   []float64 // cumulative popularity
}

// newBenchNames generates n names from seed.
func newBenchNames(seed uint64, n int) *benchNames {
	u := &benchNames{seed: seed, names: make([]string, n), cdf: make([]float64, n)}
	total := 0.0
	for i := range n {
		u.names[i] = u.nameOf(i)
		total += 1 / float64(i+1)
		u.cdf[i] = total
	}
	return u
}

// nameOf builds the name of index i: a host label, a domain spelled from
// the domain's number (so names are distinct) and a TLD.
func (u *benchNames) nameOf(i int) string {
	h := mix(u.seed, uint64(i))
	domain := i / 3
	label := ""
	for {
		label += syllables[domain%len(syllables)]
		domain /= len(syllables)
		if domain == 0 {
			break
		}
	}
	host := hostLabels[(h>>8)%uint64(len(hostLabels))]
	tld := tlds[min(int(h>>20%64)/6, len(tlds)-1)]
	return host + "." + label + "." + tld + "."
}

// pick returns a name index drawn by popularity.
func (u *benchNames) pick(rng *rand.Rand) int {
	x := rng.Float64() * u.cdf[len(u.cdf)-1]
	i, _ := slices.BinarySearch(u.cdf, x)
	return min(i, len(u.cdf)-1)
}

// mix is a 64-bit hash of two numbers (SplitMix64 finaliser).
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 + b + 0x632be59bd9b4e019
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// addr4 is a benchmarking-range IPv4 address derived from h.
func addr4(h uint64) net.IP {
	return net.IPv4(198, 18+byte(h>>16&1), byte(h>>8), byte(h))
}

// addr6 is a benchmarking-range IPv6 address derived from h.
func addr6(h uint64) net.IP {
	a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x00, 0x02, 0, 0, byte(h >> 40), byte(h >> 32),
		0, 0, 0, 0, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)})
	return net.IP(a.AsSlice())
}

// hdr is a resource record header.
func hdr(name string, rrtype uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// zoneOf returns the registered domain of a generated name (the name
// without its host label).
func zoneOf(name string) string {
	for i := range len(name) {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}

// soa returns the SOA record of a zone, as an authority for negative
// answers.
func soa(zone string, h uint64) dns.RR {
	return &dns.SOA{
		Hdr: hdr(zone, dns.TypeSOA, 900), Ns: "ns1." + zone, Mbox: "hostmaster." + zone,
		Serial: 2024050000 + uint32(h%10000), Refresh: 7200, Retry: 3600, Expire: 1209600,
		Minttl: 300,
	}
}

// answer fills response r for the question about name index i of type
// qtype: the records the name has, a CNAME chain for some names, or an
// empty answer with the zone's SOA when the name has no such records.
func (u *benchNames) answer(r *dns.Msg, i int, qtype uint16) {
	name := u.names[i]
	h := mix(u.seed^0x5eed, uint64(i))
	ttl := uint32(30 + h%3570)
	target := name
	if h%5 == 0 && qtype != dns.TypeNS && qtype != dns.TypeSOA { // CNAME chain to a CDN
		target = "edge-" + strconv.Itoa(int(h>>12%97)) + ".cdn" + strconv.Itoa(int(h>>20%7)) +
			".net."
		r.Answer = append(r.Answer, &dns.CNAME{Hdr: hdr(name, dns.TypeCNAME, ttl), Target: target})
		if h>>30%3 == 0 {
			next := "e" + strconv.Itoa(int(h>>33%13)) + ".a.global-cdn.net."
			r.Answer = append(r.Answer,
				&dns.CNAME{Hdr: hdr(target, dns.TypeCNAME, 20), Target: next})
			target = next
		}
	}
	if !u.records(r, target, name, h, ttl, qtype) {
		r.Ns = append(r.Ns, soa(zoneOf(name), h))
	}
}

// records appends the records of type qtype that owner has, and reports
// whether it has any.
func (u *benchNames) records(r *dns.Msg, owner, name string, h uint64, ttl uint32,
	qtype uint16) bool {
	n := 1 + int(h>>40%3)
	switch qtype {
	case dns.TypeA:
		for k := range n {
			r.Answer = append(r.Answer, &dns.A{Hdr: hdr(owner, qtype, ttl), A: addr4(h + uint64(k))})
		}
	case dns.TypeAAAA:
		if h>>44%10 < 4 {
			return false
		}
		for k := range n {
			r.Answer = append(r.Answer,
				&dns.AAAA{Hdr: hdr(owner, qtype, ttl), AAAA: addr6(h + uint64(k))})
		}
	case dns.TypeHTTPS:
		if h>>44%2 == 0 {
			return false
		}
		r.Answer = append(r.Answer, &dns.HTTPS{SVCB: dns.SVCB{
			Hdr: hdr(owner, qtype, ttl), Priority: 1, Target: ".",
			Value: []dns.SVCBKeyValue{
				&dns.SVCBAlpn{Alpn: []string{"h2", "h3"}},
				&dns.SVCBIPv4Hint{Hint: []net.IP{addr4(h)}},
				&dns.SVCBIPv6Hint{Hint: []net.IP{addr6(h)}},
			},
		}})
	default:
		return u.zoneRecords(r, name, h, ttl, qtype)
	}
	return true
}

// zoneRecords appends the zone-level records (MX, TXT, NS, SOA, SRV, CAA)
// of name's zone.
func (u *benchNames) zoneRecords(r *dns.Msg, name string, h uint64, ttl uint32,
	qtype uint16) bool {
	zone := zoneOf(name)
	switch qtype {
	case dns.TypeMX:
		r.Answer = append(r.Answer, &dns.MX{Hdr: hdr(name, qtype, ttl), Preference: 10,
			Mx: "mx1." + zone})
		r.Extra = append(r.Extra, &dns.A{Hdr: hdr("mx1."+zone, dns.TypeA, ttl), A: addr4(h ^ 1)})
	case dns.TypeTXT:
		txt := []string{"v=spf1 include:_spf." + zone + " -all"}
		if h>>46%4 == 0 {
			txt = append(txt, "site-verification="+strconv.FormatUint(h, 36)+
				strconv.FormatUint(mix(h, 1), 36))
		}
		r.Answer = append(r.Answer, &dns.TXT{Hdr: hdr(name, qtype, ttl), Txt: txt})
	case dns.TypeNS:
		for k := range 2 + int(h>>48%3) {
			ns := "ns" + strconv.Itoa(k+1) + "." + zone
			r.Answer = append(r.Answer, &dns.NS{Hdr: hdr(name, qtype, 86400), Ns: ns})
			r.Extra = append(r.Extra, &dns.A{Hdr: hdr(ns, dns.TypeA, 86400), A: addr4(h + 7 + uint64(k))})
		}
	case dns.TypeSOA:
		r.Answer = append(r.Answer, soa(zone, h))
	case dns.TypeSRV:
		r.Answer = append(r.Answer, &dns.SRV{Hdr: hdr(name, qtype, ttl), Priority: 10, Weight: 50,
			Port: 443, Target: name})
	case dns.TypeCAA:
		r.Answer = append(r.Answer, &dns.CAA{Hdr: hdr(name, qtype, ttl), Tag: "issue",
			Value: "letsencrypt.org"})
	default:
		return false
	}
	return true
}

// reverseName returns the in-addr.arpa name of a benchmarking address
// derived from h, and the host name it points to.
func (u *benchNames) reverseName(h uint64) (ptr, host string) {
	ip := addr4(h).To4()
	ptr = strconv.Itoa(int(ip[3])) + "." + strconv.Itoa(int(ip[2])) + "." +
		strconv.Itoa(int(ip[1])) + "." + strconv.Itoa(int(ip[0])) + ".in-addr.arpa."
	return ptr, u.names[int(h>>24)%len(u.names)]
}

// dgaName returns a random-looking name that does not exist.
func dgaName(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8+rng.IntN(10))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b) + "." + tlds[rng.IntN(4)] + "."
}

package dnsextract

import (
	"errors"
	"strings"

	"github.com/miekg/dns"
)

// headerLen is the size of the fixed DNS header (RFC 1035 section 4.1.1).
const headerLen = 12

// errShortHeader means a payload is too short to hold a DNS header.
var errShortHeader = errors.New("dns: payload shorter than the 12-byte header")

// decodeMessage unpacks one DNS message without the caches of an
// Extractor's decoder; see wireDecoder.decode.
func decodeMessage(payload []byte) (*Message, error) {
	var d wireDecoder
	return d.decode(payload)
}

// rdata returns the presentation format of rr's data, as dig prints it after
// the owner, TTL, class and type.
func rdata(rr dns.RR) string {
	if s, ok := listData(rr); ok {
		return s
	}
	return afterHeader(rr.String())
}

// afterHeader returns the data of a record in miekg/dns's presentation
// format. miekg/dns separates the owner, TTL, class and type with tabs and
// escapes any tab inside a name, so the data starts after the fourth.
func afterHeader(full string) string {
	rest := full
	for range 4 {
		i := strings.IndexByte(rest, '\t')
		if i < 0 {
			return full
		}
		rest = rest[i+1:]
	}
	return rest
}

// listData formats the data of the record types whose miekg/dns String
// grows its text by concatenation once per list item, which is quadratic:
// the type bitmaps of NSEC, NSEC3 and CSYNC (up to 65,536 types in 8 kB
// of data) and the rendezvous servers of HIP. A crafted record took seconds;
// here the same text is built in linear time.
func listData(rr dns.RR) (string, bool) {
	var b strings.Builder
	switch r := rr.(type) {
	case *dns.NSEC:
		head := *r
		head.TypeBitMap = nil
		b.WriteString(afterHeader(head.String()))
		writeTypes(&b, r.TypeBitMap)
	case *dns.NSEC3:
		head := *r
		head.TypeBitMap = nil
		b.WriteString(afterHeader(head.String()))
		writeTypes(&b, r.TypeBitMap)
	case *dns.CSYNC:
		head := *r
		head.TypeBitMap = nil
		b.WriteString(afterHeader(head.String()))
		writeTypes(&b, r.TypeBitMap)
	case *dns.HIP:
		head := *r
		head.RendezvousServers = nil
		b.WriteString(afterHeader(head.String()))
		for _, server := range r.RendezvousServers {
			b.WriteByte(' ')
			b.WriteString(afterHeader((&dns.NS{Ns: server}).String())) // the name as printed
		}
	default:
		return "", false
	}
	return b.String(), true
}

// writeTypes appends a type bitmap's types as miekg/dns prints them.
func writeTypes(b *strings.Builder, types []uint16) {
	for _, t := range types {
		b.WriteByte(' ')
		b.WriteString(dns.Type(t).String())
	}
}

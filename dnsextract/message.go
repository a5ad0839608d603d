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
// the owner, TTL, class and type. miekg/dns separates those four fields with
// tabs and escapes any tab inside a name, so the data starts after the fourth.
func rdata(rr dns.RR) string {
	full := rr.String()
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

package sqlitestore

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/miekg/dns"

	"pdnsx/dnsextract"
)

// timeLayout is the layout appendTime writes for times outside years 0-9999.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// appendTime appends t in UTC as ISO-8601 with nine fractional digits,
// e.g. 2026-12-03T16:21:13.123456789Z, the form the case file stores.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends the width lowest decimal digits of the non-negative
// v, zero-padded, two at a time.
func appendDigits(b []byte, v, width int) []byte {
	n := len(b) + width
	b = append(b, "000000000"[:width]...)
	i := n - 1
	for ; i > n-width; i -= 2 {
		pair := v % 100 * 2
		b[i], b[i-1] = digitPairs[pair+1], digitPairs[pair]
		v /= 100
	}
	if i == n-width {
		b[i] = byte('0' + v%10)
	}
	return b
}

// digitPairs holds "00" to "99".
const digitPairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// reverseName returns the lookup form of a domain name: its labels
// lowercased (ASCII only, as DNS compares names), in reverse order and
// joined with dots, with a trailing dot: "www.Evil.example." becomes
// "example.evil.www.". All names under evil.example then sort between
// "example.evil." and "example.evil/". Escaped dots ("a\.b") stay inside
// their label. The root name and the empty name become ".".
func reverseName(name string) string {
	if name == "" {
		return "."
	}
	b := make([]byte, 0, len(name)+1)
	end := len(name)
	if name[end-1] == '.' && !escapedAt(name, end-1) {
		end-- // the dot ends the last label
	}
	for {
		start := labelStart(name, end)
		for _, c := range []byte(name[start:end]) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		b = append(b, '.')
		if start == 0 {
			return string(b)
		}
		end = start - 1 // at the dot before the label
	}
}

// labelStart returns where the label that ends at end of a presentation-form
// name begins: after the last unescaped dot before end, or at 0.
func labelStart(name string, end int) int {
	for i := end - 1; i >= 0; i-- {
		if name[i] == '.' && !escapedAt(name, i) {
			return i + 1
		}
	}
	return 0
}

// escapedAt reports whether the byte at i of a presentation-form name is
// escaped: preceded by an odd number of backslashes.
func escapedAt(name string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && name[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// splitLabels splits a presentation-format name at its unescaped dots,
// ignoring the final dot of a fully qualified name.
func splitLabels(name string) []string {
	var labels []string
	start := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++ // the escaped byte; \DDD digits are never dots
		case '.':
			labels = append(labels, name[start:i])
			start = i + 1
		}
	}
	if start < len(name) {
		labels = append(labels, name[start:])
	}
	return labels
}

// typeText returns the mnemonic of a resource record type, e.g. "A" or
// "TYPE65280" (RFC 3597 section 5) for types miekg/dns does not know.
func typeText(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// classText returns the mnemonic of a class, e.g. "IN" or "CLASS32769".
func classText(c uint16) string {
	if s, ok := dns.ClassToString[c]; ok {
		return s
	}
	return "CLASS" + strconv.Itoa(int(c))
}

// rcodeText returns the mnemonic of an (extended) response code, e.g.
// "NXDOMAIN" or "RCODE100".
func rcodeText(r uint16) string {
	if s, ok := dns.RcodeToString[int(r)]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// opcodeText returns the mnemonic of an opcode, e.g. "QUERY" or "OPCODE7".
func opcodeText(o uint8) string {
	if s, ok := dns.OpcodeToString[int(o)]; ok {
		return s
	}
	return "OPCODE" + strconv.Itoa(int(o))
}

// framesText lists the frame numbers of a message as "12,13,15" when it
// spans several frames, or returns "" for a single frame.
func framesText(frames []dnsextract.FrameRef) string {
	if len(frames) < 2 {
		return ""
	}
	b := make([]byte, 0, 8*len(frames))
	for i, f := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, f.Frame, 10)
	}
	return string(b)
}

// addrText returns an address as the case file stores it ("10.1.2.3",
// "2001:db8::1"), or "" for the zero Addr.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

package dnsextract

import (
	"net/netip"
	"time"
)

// Transport is the IP protocol a DNS message travelled over.
type Transport uint8

// Transports.
const (
	UDP Transport = 17
	TCP Transport = 6
)

// String returns "udp" or "tcp".
func (t Transport) String() string {
	switch t {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	}
	return "ip"
}

// FrameRef names one frame: the caller's index of the capture it is in, and
// its 1-based frame number there.
type FrameRef struct {
	Capture int
	Frame   int64
}

// Section is the message section a resource record was found in.
type Section uint8

// Sections of a DNS message (RFC 1035 section 4.1).
const (
	Answer     Section = 1
	Authority  Section = 2
	Additional Section = 3
)

// String returns "answer", "authority" or "additional".
func (s Section) String() string {
	switch s {
	case Answer:
		return "answer"
	case Authority:
		return "authority"
	case Additional:
		return "additional"
	}
	return "unknown"
}

// Record is one resource record of a response, flattened for storage.
type Record struct {
	Section Section
	Name    string // owner name as sent, fully qualified, without the trailing dot for the root-only "."
	Type    uint16
	Class   uint16
	TTL     uint32
	Data    string // RDATA in the presentation format dig prints; RFC 3597 form for unknown types
}

// Message is one DNS message as seen on the wire.
type Message struct {
	Time   time.Time  // capture time of the frame that completed the message
	Frames []FrameRef // frames the message came from, in capture order
	Src    netip.AddrPort
	Dst    netip.AddrPort
	Size   int // bytes of the DNS message

	ID       uint16
	Response bool   // QR bit
	Opcode   uint8  // RFC 1035 OPCODE
	Rcode    uint16 // response code, extended with the EDNS OPT high bits (RFC 6891)
	Flags    uint16 // the header's 16-bit flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE)
	QDCount  uint16 // section counts as claimed by the header
	ANCount  uint16
	NSCount  uint16
	ARCount  uint16

	QName  string // first question's name, as sent (fully qualified with trailing dot)
	QType  uint16
	QClass uint16

	EDNS         bool   // an OPT record is present
	UDPSize      uint16 // EDNS requester's UDP payload size
	DO           bool   // EDNS DNSSEC OK bit
	ClientSubnet string // EDNS Client Subnet option (RFC 7871) as "addr/source-prefix", or ""

	Records []Record // every record of the answer, authority and additional sections (OPT excluded)
}

// Truncated reports whether the TC bit is set.
func (m *Message) Truncated() bool { return m.Flags&0x0200 != 0 }

// Kind classifies a lookup.
type Kind uint8

// Lookup kinds.
const (
	Answered    Kind = iota + 1 // a query and its response
	Unanswered                  // a query whose response was not captured
	Unsolicited                 // a response whose query was not captured
	Unpaired                    // an mDNS or LLMNR message, recorded without pairing
)

// String returns "answered", "unanswered", "unsolicited" or "unpaired".
func (k Kind) String() string {
	switch k {
	case Answered:
		return "answered"
	case Unanswered:
		return "unanswered"
	case Unsolicited:
		return "unsolicited"
	case Unpaired:
		return "unpaired"
	}
	return "unknown"
}

// Lookup is one DNS transaction: a query and its response, a query alone, or
// a response alone. Multicast DNS and LLMNR messages are never paired: each is
// a lookup of its own.
type Lookup struct {
	Transport Transport
	Unpaired  bool           // mDNS or LLMNR: one message, never paired
	Path      string         // encapsulation the messages were found on, e.g. "eth/vlan:101/ipv4/udp"
	Client    netip.AddrPort // the side that sent the query
	Server    netip.AddrPort // the side that answered
	Query     *Message       // nil for an unsolicited response
	Response  *Message       // nil for an unanswered query
}

// Kind says whether the lookup was answered, unanswered, unsolicited or
// unpaired.
func (l *Lookup) Kind() Kind {
	switch {
	case l.Unpaired:
		return Unpaired
	case l.Query != nil && l.Response != nil:
		return Answered
	case l.Query != nil:
		return Unanswered
	}
	return Unsolicited
}

// RTT is the time from query to response, or zero when either is missing.
func (l *Lookup) RTT() time.Duration {
	if l.Query == nil || l.Response == nil {
		return 0
	}
	return l.Response.Time.Sub(l.Query.Time)
}

// Malformed is a DNS payload that could not be decoded.
type Malformed struct {
	Time      time.Time
	Frames    []FrameRef
	Transport Transport
	Path      string
	Src       netip.AddrPort
	Dst       netip.AddrPort
	Reason    string // what the decoder said, e.g. "dns: overflow unpacking uint16"
	Payload   []byte // the bytes as captured (copy, at most MaxMalformedPayload)
}

// MaxMalformedPayload bounds the bytes kept of a malformed payload.
const MaxMalformedPayload = 65535

// Sink receives what an Extractor finds. Its methods are called from the
// goroutine that feeds the Extractor; the values are not reused afterwards.
type Sink interface {
	Lookup(*Lookup)
	Malformed(*Malformed)
}

// Stats counts what an Extractor saw.
type Stats struct {
	Frames    int64            // frames offered
	Messages  int64            // DNS messages decoded
	Malformed int64            // DNS payloads that could not be decoded
	Lookups   int64            // lookups emitted
	Records   int64            // records in emitted lookups
	Skipped   map[string]int64 // frames not decoded as far as UDP/TCP, by reason ("link 147", "ipv4 options bad", ...)
}

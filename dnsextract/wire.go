package dnsextract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// The wire decoder reads DNS messages (RFC 1035 section 4) without building
// miekg/dns values for the common record types, and formats record data the
// way miekg/dns presents it, which is the way dig prints it. Rare types, and
// any data it does not format itself, go through miekg/dns. Names and record
// data repeat a great deal in real traffic, so both are interned: a name or
// an A record seen before costs a map lookup and no allocation.

// Limits of the wire format (RFC 1035 section 2.3.4) and of the decoder.
const (
	maxNameWire    = 255      // octets of a name on the wire
	maxPointers    = 126      // compression pointers followed in one name, as miekg/dns allows
	maxInterned    = 1 << 18  // strings in each cache; it restarts when full
	maxCacheBytes  = 32 << 20 // bytes of the strings in each cache, likewise
	maxCachedRdata = 512      // longer record data is formatted each time
)

// Errors of the wire decoder. Each names what was wrong; wireError adds where.
var (
	errTruncated  = errors.New("message ends inside a field")
	errLabelType  = errors.New("reserved label type")
	errNameLength = errors.New("name longer than 255 octets")
	errPointers   = errors.New("too many compression pointers")
	errRdLength   = errors.New("record data length runs past the message")
	errRdata      = errors.New("record data does not match its type")
)

// wireError says which part of a message could not be decoded.
type wireError struct {
	part string // "question 1", "answer 2", ...
	err  error
}

func (e *wireError) Error() string { return "dns: " + e.part + ": " + e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }

// wireDecoder decodes DNS messages. One made by newWireDecoder keeps caches
// across messages and is not safe for concurrent use; the zero value keeps
// none.
type wireDecoder struct {
	names      map[string]string // wire-decoded presentation name: interned string
	rdata      map[string]string // type and raw record data: presentation
	nameBytes  int               // bytes of the strings in names
	rdataBytes int               // bytes of the keys and strings in rdata
	buf        []byte            // scratch for names
	key        []byte            // scratch for rdata keys
	seen       []decoded         // names read in the current message
}

func newWireDecoder() *wireDecoder {
	return &wireDecoder{
		names: make(map[string]string),
		rdata: make(map[string]string),
		buf:   make([]byte, 0, 512),
		key:   make([]byte, 0, maxCachedRdata+2),
	}
}

// decode unpacks a DNS message. When the header and question could be read
// but a record could not, it returns the message as far as it was decoded
// together with the error, so that the lookup is kept and the payload is also
// reported as malformed. Without a readable question it returns only the
// error: a header alone says too little to be a lookup.
func (d *wireDecoder) decode(payload []byte) (*Message, error) {
	if len(payload) < headerLen {
		return nil, errShortHeader
	}
	m := messageHeader(payload)
	if d.seen == nil {
		d.seen = make([]decoded, 0, 16)
	}
	d.seen = d.seen[:0]

	off, err := d.questions(m, payload)
	if err != nil {
		if m.QName == "" {
			return nil, err
		}
		return m, err
	}
	return m, d.records(m, payload, off)
}

// messageHeader returns a message holding the fixed header of payload, which
// is at least headerLen bytes (RFC 1035 section 4.1.1).
func messageHeader(payload []byte) *Message {
	m := newMessage()
	m.Size = len(payload)
	m.ID = binary.BigEndian.Uint16(payload[0:])
	m.Flags = binary.BigEndian.Uint16(payload[2:])
	m.QDCount = binary.BigEndian.Uint16(payload[4:])
	m.ANCount = binary.BigEndian.Uint16(payload[6:])
	m.NSCount = binary.BigEndian.Uint16(payload[8:])
	m.ARCount = binary.BigEndian.Uint16(payload[10:])
	m.Response = m.Flags&0x8000 != 0
	m.Opcode = uint8(m.Flags>>11) & 0x0f
	m.Rcode = m.Flags & 0x000f
	return m
}

// questions reads the question section; the message keeps the first.
func (d *wireDecoder) questions(m *Message, msg []byte) (int, error) {
	off := headerLen
	for i := range int(m.QDCount) {
		name, next, err := d.name(msg, off)
		if err != nil {
			return off, &wireError{fmt.Sprintf("question %d", i+1), err}
		}
		if next+4 > len(msg) {
			return off, &wireError{fmt.Sprintf("question %d", i+1), errTruncated}
		}
		if i == 0 {
			m.QName = name
			m.QType = binary.BigEndian.Uint16(msg[next:])
			m.QClass = binary.BigEndian.Uint16(msg[next+2:])
		}
		off = next + 4
	}
	return off, nil
}

// records reads the answer, authority and additional sections.
func (d *wireDecoder) records(m *Message, msg []byte, off int) error {
	sections := [...]struct {
		s     Section
		count uint16
	}{{Answer, m.ANCount}, {Authority, m.NSCount}, {Additional, m.ARCount}}

	n := min(int(m.ANCount)+int(m.NSCount)+int(m.ARCount), (len(msg)-off)/11)
	if m.Records == nil || n > cap(m.Records) {
		m.Records = make([]Record, 0, n)
	}
	for _, sec := range sections {
		for i := range int(sec.count) {
			next, err := d.record(m, sec.s, msg, off)
			if err != nil {
				return &wireError{fmt.Sprintf("%s %d", sec.s, i+1), err}
			}
			off = next
		}
	}
	return nil
}

// record reads one resource record at off and returns the offset after it.
func (d *wireDecoder) record(m *Message, s Section, msg []byte, off int) (int, error) {
	start := off
	name, off, err := d.name(msg, off)
	if err != nil {
		return off, err
	}
	if off+10 > len(msg) {
		return off, errTruncated
	}
	typ := binary.BigEndian.Uint16(msg[off:])
	class := binary.BigEndian.Uint16(msg[off+2:])
	ttl := binary.BigEndian.Uint32(msg[off+4:])
	rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
	rdstart := off + 10
	end := rdstart + rdlen
	if end > len(msg) {
		return off, errRdLength
	}

	if typ == dns.TypeOPT {
		// An OPT pseudo-record belongs in the additional section (RFC 6891
		// section 6.1.1); elsewhere it is ignored, as miekg/dns does.
		if s == Additional && !m.EDNS {
			d.edns(m, class, ttl, msg[rdstart:end])
		}
		return end, nil
	}
	data, err := d.data(typ, msg, start, rdstart, end)
	if err != nil {
		return off, err
	}
	m.Records = append(m.Records, Record{
		Section: s, Name: name, Type: typ, Class: class, TTL: ttl, Data: data,
	})
	return end, nil
}

// data returns the presentation format of the record data at
// msg[rdstart:end] of the record that starts at rr.
func (d *wireDecoder) data(typ uint16, msg []byte, rr, rdstart, end int) (string, error) {
	rd := msg[rdstart:end]
	if len(rd) == 0 {
		return d.slow(msg, rr) // as in dynamic updates (RFC 2136): rare, and type-specific
	}
	switch typ {
	case dns.TypeA:
		if len(rd) != 4 {
			return "", errRdata
		}
		return d.cached(typ, rd, func() string {
			return netip.AddrFrom4([4]byte(rd)).String()
		}), nil
	case dns.TypeAAAA:
		if len(rd) != 16 {
			return "", errRdata
		}
		return d.cached(typ, rd, func() string { return aaaaString(rd) }), nil
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR, dns.TypeDNAME:
		return d.nameData(msg, rdstart, end)
	case dns.TypeMX:
		return d.mx(msg, rdstart, end)
	case dns.TypeSOA:
		return d.soa(msg, rdstart, end)
	}
	if len(rd) > maxCachedRdata || !selfContained(typ, rd) {
		return d.slow(msg, rr)
	}
	var err error
	s := d.cached(typ, rd, func() string {
		var s string
		s, err = d.slow(msg, rr)
		return s
	})
	return s, err
}

// aaaaString formats an IPv6 address as miekg/dns does: IPv4-mapped
// addresses in their IPv6 form too.
func aaaaString(rd []byte) string {
	a := netip.AddrFrom16([16]byte(rd))
	if a.Is4In6() {
		return "::ffff:" + a.Unmap().String()
	}
	return a.String()
}

// nameData reads record data that is a single name (CNAME, NS, PTR, DNAME).
func (d *wireDecoder) nameData(msg []byte, rdstart, end int) (string, error) {
	name, next, err := d.name(msg[:end], rdstart)
	if err != nil {
		return "", err
	}
	if next != end {
		return "", errRdata
	}
	return name, nil
}

// mx formats an MX record: preference and exchange (RFC 1035 section 3.3.9).
func (d *wireDecoder) mx(msg []byte, rdstart, end int) (string, error) {
	if end-rdstart < 3 {
		return "", errRdata
	}
	pref := binary.BigEndian.Uint16(msg[rdstart:])
	name, err := d.nameData(msg, rdstart+2, end)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(int(pref)) + " " + name, nil
}

// soa formats an SOA record (RFC 1035 section 3.3.13).
func (d *wireDecoder) soa(msg []byte, rdstart, end int) (string, error) {
	mname, off, err := d.name(msg[:end], rdstart)
	if err != nil {
		return "", err
	}
	rname, off, err := d.name(msg[:end], off)
	if err != nil {
		return "", err
	}
	if end-off != 20 {
		return "", errRdata
	}
	b := make([]byte, 0, len(mname)+len(rname)+56)
	b = append(b, mname...)
	b = append(b, ' ')
	b = append(b, rname...)
	for i := range 5 {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(binary.BigEndian.Uint32(msg[off+4*i:])), 10)
	}
	return string(b), nil
}

// slow formats the record at rr through miekg/dns.
func (d *wireDecoder) slow(msg []byte, rr int) (string, error) {
	r, _, err := dns.UnpackRR(msg, rr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errRdata, err)
	}
	return rdata(r), nil
}

// cached returns the presentation of record data rd of type typ from the
// cache, formatting it with format on a miss. A failed format (an empty
// string) is not cached.
func (d *wireDecoder) cached(typ uint16, rd []byte, format func() string) string {
	key := append(d.key[:0], byte(typ>>8), byte(typ))
	key = append(key, rd...)
	d.key = key
	if s, ok := d.rdata[string(key)]; ok {
		return s
	}
	s := format()
	if s == "" || d.rdata == nil {
		return s
	}
	if len(d.rdata) >= maxInterned || d.rdataBytes+len(key)+len(s) > maxCacheBytes {
		clear(d.rdata)
		d.rdataBytes = 0
	}
	d.rdata[string(key)] = s
	d.rdataBytes += len(key) + len(s)
	return s
}

// selfContained reports whether record data of type typ can be formatted from
// its own bytes alone: it holds no name, or its names hold no compression
// pointer, so the same bytes always mean the same thing.
func selfContained(typ uint16, rd []byte) bool {
	switch typ {
	case dns.TypeTXT, dns.TypeSPF, dns.TypeCAA, dns.TypeDS, dns.TypeCDS, dns.TypeDNSKEY,
		dns.TypeCDNSKEY, dns.TypeTLSA, dns.TypeSMIMEA, dns.TypeSSHFP, dns.TypeNSEC3,
		dns.TypeNSEC3PARAM, dns.TypeOPENPGPKEY, dns.TypeHINFO, dns.TypeZONEMD:
		return true
	case dns.TypeSVCB, dns.TypeHTTPS:
		return pointerFree(rd, 2)
	case dns.TypeRRSIG:
		return pointerFree(rd, 18)
	case dns.TypeNSEC:
		return pointerFree(rd, 0)
	}
	_, known := dns.TypeToRR[typ]
	return !known // unknown types are shown as raw bytes (RFC 3597)
}

// pointerFree reports whether the name at rd[off:] is made of labels only,
// without a compression pointer.
func pointerFree(rd []byte, off int) bool {
	for off < len(rd) {
		n := int(rd[off])
		switch {
		case n == 0:
			return true
		case n&0xC0 != 0:
			return false
		}
		off += n + 1
	}
	return false
}

// name reads the domain name at off, following compression pointers, and
// returns it in presentation format (as miekg/dns prints names) with the
// offset after it in the original data.
func (d *wireDecoder) name(msg []byte, off int) (string, int, error) {
	if s, ok := d.recall(msg, off); ok {
		return s, off + 2, nil
	}
	start, reach := off, off
	b := d.buf[:0]
	next := -1 // offset after the name where it was read, set at the first pointer
	wire, pointers := 0, 0
	for {
		reach = max(reach, off)
		if off >= len(msg) {
			return "", off, errTruncated
		}
		c := int(msg[off])
		off++
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				if next < 0 {
					next = off
				}
				d.buf = b
				name := d.intern(b)
				d.remember(start, name, reach, pointers)
				return name, next, nil
			}
			if off+c > len(msg) {
				return "", off, errTruncated
			}
			reach = max(reach, off+c)
			if wire += c + 1; wire >= maxNameWire {
				return "", off, errNameLength
			}
			b = appendLabel(b, msg[off:off+c])
			off += c
		case 0xC0:
			if off >= len(msg) {
				return "", off, errTruncated
			}
			reach = max(reach, off)
			if next < 0 {
				next = off + 1
			}
			if pointers++; pointers > maxPointers {
				return "", off, errPointers
			}
			off = (c&0x3F)<<8 | int(msg[off])
		default:
			return "", off, errLabelType
		}
	}
}

// decoded is a name read earlier in the current message, kept because names
// are mostly compression pointers to names read before them (RFC 1035
// section 4.1.4), above all to the question.
type decoded struct {
	off      int    // where the name starts
	reach    int    // one past the last byte its reading touched
	pointers int    // compression pointers followed
	name     string // the name read
}

// recall returns the name a compression pointer at off leads to, when that
// name was read before in the message and reading it again would give the
// same result: every byte it needs lies within msg, and one more pointer
// stays within the limit.
func (d *wireDecoder) recall(msg []byte, off int) (string, bool) {
	if off+1 >= len(msg) || msg[off]&0xC0 != 0xC0 {
		return "", false
	}
	target := int(msg[off]&0x3F)<<8 | int(msg[off+1])
	for _, n := range d.seen {
		if n.off == target && n.reach <= len(msg) && n.pointers < maxPointers {
			return n.name, true
		}
	}
	return "", false
}

// remember keeps a name read at off, for the pointers that follow it.
func (d *wireDecoder) remember(off int, name string, reach, pointers int) {
	if len(d.seen) < cap(d.seen) {
		d.seen = append(d.seen, decoded{off, reach + 1, pointers, name})
	}
}

// escaped marks the bytes a label shows escaped, as miekg/dns shows them.
var escaped = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < ' ' || c > '~' || strings.IndexByte(".' @;()\"\\", byte(c)) >= 0
	}
	return t
}()

// appendLabel appends a label and its dot, escaping as miekg/dns does.
func appendLabel(b, label []byte) []byte {
	plain := 0
	for plain < len(label) && !escaped[label[plain]] {
		plain++
	}
	b = append(b, label[:plain]...)
	for _, c := range label[plain:] {
		switch {
		case c == '.' || c == ' ' || c == '\'' || c == '@' || c == ';' || c == '(' ||
			c == ')' || c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' || c > '~':
			b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		default:
			b = append(b, c)
		}
	}
	return append(b, '.')
}

// intern returns the name in b as a string, shared with earlier equal names.
func (d *wireDecoder) intern(b []byte) string {
	if len(b) == 0 {
		return "."
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil {
		return string(b)
	}
	if len(d.names) >= maxInterned || d.nameBytes+len(b) > maxCacheBytes {
		clear(d.names)
		d.nameBytes = 0
	}
	s := string(b)
	d.names[s] = s
	d.nameBytes += len(s)
	return s
}

// edns copies the OPT record's fields (RFC 6891 section 6.1.3) into m: the
// requester's UDP size (the class), the extended response code and the DO
// bit (in the TTL), and the Client Subnet option (RFC 7871).
func (d *wireDecoder) edns(m *Message, class uint16, ttl uint32, rd []byte) {
	m.EDNS = true
	m.UDPSize = class
	m.Rcode = uint16(ttl>>24)<<4 | m.Flags&0x000f
	m.DO = ttl&0x8000 != 0
	for len(rd) >= 4 {
		code := binary.BigEndian.Uint16(rd)
		n := int(binary.BigEndian.Uint16(rd[2:]))
		if 4+n > len(rd) {
			return
		}
		if code == 8 {
			m.ClientSubnet = clientSubnet(rd[4 : 4+n])
		}
		rd = rd[4+n:]
	}
}

// clientSubnet formats an EDNS Client Subnet option as "address/source".
func clientSubnet(opt []byte) string {
	if len(opt) < 4 {
		return ""
	}
	family, source := binary.BigEndian.Uint16(opt), opt[2]
	addr := opt[4:]
	var a netip.Addr
	switch family { // bytes beyond the family's address length are ignored, as miekg/dns does
	case 1:
		var b [4]byte
		copy(b[:], addr)
		a = netip.AddrFrom4(b)
	case 2:
		var b [16]byte
		copy(b[:], addr)
		a = netip.AddrFrom16(b)
	default:
		return ""
	}
	return a.String() + "/" + strconv.Itoa(int(source))
}

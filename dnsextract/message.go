package dnsextract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// headerLen is the size of the fixed DNS header (RFC 1035 section 4.1.1).
const headerLen = 12

// errShortHeader means a payload is too short to hold a DNS header.
var errShortHeader = errors.New("dns: payload shorter than the 12-byte header")

// decodeMessage unpacks a DNS message. When the header and question could be
// read but the rest could not, it returns the message as far as it was
// decoded together with the error, so that the lookup is kept and the payload
// is also reported as malformed. Without a readable question it returns only
// the error: a header alone says too little to be a lookup.
func decodeMessage(payload []byte) (*Message, error) {
	if len(payload) < headerLen {
		return nil, errShortHeader
	}
	var msg dns.Msg
	err := msg.Unpack(payload)

	m := &Message{
		Size:    len(payload),
		ID:      binary.BigEndian.Uint16(payload[0:]),
		Flags:   binary.BigEndian.Uint16(payload[2:]),
		QDCount: binary.BigEndian.Uint16(payload[4:]),
		ANCount: binary.BigEndian.Uint16(payload[6:]),
		NSCount: binary.BigEndian.Uint16(payload[8:]),
		ARCount: binary.BigEndian.Uint16(payload[10:]),
	}
	m.Response = m.Flags&0x8000 != 0
	m.Opcode = uint8(m.Flags>>11) & 0x0f
	m.Rcode = m.Flags & 0x000f
	if len(msg.Question) > 0 {
		q := msg.Question[0]
		m.QName, m.QType, m.QClass = q.Name, q.Qtype, q.Qclass
	} else if err != nil {
		return nil, err
	}
	m.Records = make([]Record, 0, len(msg.Answer)+len(msg.Ns)+len(msg.Extra))
	m.Records = appendRecords(m.Records, Answer, msg.Answer)
	m.Records = appendRecords(m.Records, Authority, msg.Ns)
	m.Records = appendRecords(m.Records, Additional, msg.Extra)
	setEDNS(m, &msg)
	return m, err
}

// appendRecords flattens rrs into records of section s. OPT pseudo-records
// are left out: their content is in the message's EDNS fields.
func appendRecords(dst []Record, s Section, rrs []dns.RR) []Record {
	for _, rr := range rrs {
		h := rr.Header()
		if h.Rrtype == dns.TypeOPT {
			continue
		}
		dst = append(dst, Record{
			Section: s,
			Name:    h.Name,
			Type:    h.Rrtype,
			Class:   h.Class,
			TTL:     h.Ttl,
			Data:    rdata(rr),
		})
	}
	return dst
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

// setEDNS copies the OPT record's fields (RFC 6891) into m: the extended
// response code, the requester's UDP size, the DO bit and Client Subnet.
func setEDNS(m *Message, msg *dns.Msg) {
	opt := msg.IsEdns0()
	if opt == nil {
		return
	}
	m.EDNS = true
	m.UDPSize = opt.UDPSize()
	m.DO = opt.Do()
	m.Rcode = uint16(opt.ExtendedRcode()) | m.Flags&0x000f
	for _, o := range opt.Option {
		if ecs, ok := o.(*dns.EDNS0_SUBNET); ok && ecs.Address != nil {
			m.ClientSubnet = fmt.Sprintf("%s/%d", ecs.Address, ecs.SourceNetmask)
		}
	}
}

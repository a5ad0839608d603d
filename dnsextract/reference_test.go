package dnsextract

import (
	"fmt"

	"github.com/miekg/dns"
)

// referenceDecode decodes a DNS message with miekg/dns alone. It is the
// reference the wire decoder is checked against.
func referenceDecode(payload []byte) (*Message, error) {
	if len(payload) < headerLen {
		return nil, errShortHeader
	}
	var msg dns.Msg
	err := msg.Unpack(payload)

	m := messageHeader(payload)
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

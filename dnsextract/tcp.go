package dnsextract

import "encoding/binary"

// segment handles a TCP segment to or from a DNS port. Each DNS message on
// TCP is preceded by its two-byte length (RFC 1035 section 4.2.2).
//
// This first version decodes only messages that lie wholly inside one
// segment; stream reassembly replaces it.
func (x *Extractor) segment(p *packet, path string) {
	data := p.payload
	for len(data) >= 2 {
		n := int(binary.BigEndian.Uint16(data))
		if n == 0 || len(data) < 2+n {
			return
		}
		x.message(data[2:2+n], []FrameRef{p.ref}, p, path)
		data = data[2+n:]
	}
}

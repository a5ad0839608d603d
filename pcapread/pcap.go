package pcapread

import "time"

// Classic pcap, as libpcap writes it
// (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/):
//
//	file header, 24 bytes:
//	  magic u32 | version major u16, minor u16 | thiszone i32 | sigfigs u32
//	  snaplen u32 | link type u32 (low 16 bits; the upper bits carry FCS info)
//	record header, 16 bytes (24 in the modified format):
//	  seconds u32 | micro- or nanoseconds u32 | captured length u32
//	  original length u32 | [ifindex u32, protocol u16, type u8, pad u8]
const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
	// pcapModifiedHeaderLen is the record header length of the modified
	// format (magic a1b2cd34).
	pcapModifiedHeaderLen = 24
)

// Record length limits: a record may claim up to maxCapLen bytes, or up to
// the snapshot length when that is larger, but never more than maxRecord.
const (
	maxCapLen = 262144
	maxRecord = 16 << 20
)

// pcapState is the parsing state of a classic pcap capture.
type pcapState struct {
	order     byteOrder
	nano      bool   // fractions are nanoseconds, not microseconds
	headerLen int    // length of a record header
	maxCap    uint32 // the largest captured length believed
	link      LinkType
}

// startPcap reads the file header of a classic pcap capture whose magic
// number, in the file's byte order, is magic.
func (r *Reader) startPcap(order byteOrder, magic uint32) bool {
	if !r.fill(pcapFileHeaderLen) {
		return r.short(0, 0, "file header", pcapFileHeaderLen)
	}

	h := r.buf[r.pos : r.pos+pcapFileHeaderLen]
	snaplen := order.u32(h[16:])
	r.pcap = pcapState{
		order:     order,
		nano:      magic == magicPcapNano,
		headerLen: pcapRecordHeaderLen,
		maxCap:    max(maxCapLen, min(snaplen, maxRecord)),
		link:      LinkType(order.u32(h[20:]) & 0xffff),
	}
	if magic == magicPcapModified {
		r.pcap.headerLen = pcapModifiedHeaderLen
	}

	r.info.Format = FormatPcap
	if r.pcap.nano {
		r.info.Format = FormatPcapNS
	}
	r.addLinkType(r.pcap.link)
	r.pos += pcapFileHeaderLen
	r.inHeader = false
	r.parse = r.nextPcap
	return r.nextPcap()
}

// nextPcap reads the next record of a classic pcap capture.
func (r *Reader) nextPcap() bool {
	p := &r.pcap
	off := r.offset()
	if r.end-r.pos < p.headerLen && !r.fill(p.headerLen) {
		if r.cleanEnd() {
			return false
		}
		return r.short(off, 0, "record header", p.headerLen)
	}

	h := r.buf[r.pos : r.pos+p.headerLen]
	sec, frac := p.order.u32(h), p.order.u32(h[4:])
	capLen, origLen := p.order.u32(h[8:]), p.order.u32(h[12:])
	if capLen > p.maxCap {
		return r.corrupt(off, "record claims %d bytes (limit %d)", capLen, p.maxCap)
	}

	n := p.headerLen + int(capLen)
	if r.end-r.pos < n && !r.fill(n) {
		return r.short(off, p.headerLen, "record", int(capLen))
	}

	data := r.buf[r.pos+p.headerLen : r.pos+n : r.pos+n]
	r.pos += n
	return r.yield(p.time(sec, frac), p.link, data, origLen)
}

// time converts a record timestamp. A fraction out of range (a second or
// more) is tolerated: it is simply added to the seconds.
func (p *pcapState) time(sec, frac uint32) time.Time {
	nsec := int64(frac)
	if !p.nano {
		nsec *= 1000
	}
	return time.Unix(int64(sec), nsec).UTC()
}

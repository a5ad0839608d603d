package pcapread

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"
)

// pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/) is a
// sequence of blocks, each framed the same way:
//
//	block type u32 | block length u32 | body | block length u32
//
// The length counts the whole block, is a multiple of 4 and at least 12.
// Each section starts with a section header block whose byte-order magic
// sets the byte order of the section.
const (
	blockSHB = 0x0a0d0d0a // section header
	blockIDB = 1          // interface description
	blockPB  = 2          // packet, obsolete
	blockSPB = 3          // simple packet
	blockEPB = 6          // enhanced packet
)

// Block length limits. Blocks the reader keeps in memory (section and
// interface headers, packets) may be up to maxBlock bytes; blocks it skips
// are streamed past and may be up to maxSkipBlock bytes.
const (
	minBlock     = 12
	minSHB       = 28
	maxBlock     = maxRecord + 1<<16
	maxSkipBlock = 256 << 20
)

// pcapng options of interface description blocks (section 4.2).
const (
	optEndOfOpt = 0
	optTSResol  = 9
	optTSOffset = 14
)

// maxSeconds bounds the seconds of a timestamp, well within what time.Time
// holds, so that hostile timestamps and offsets cannot overflow.
const maxSeconds = 1 << 60

// ngState is the parsing state of a pcapng capture: that of its current
// section.
type ngState struct {
	order  byteOrder
	ifaces []ngInterface
}

// ngInterface is what the reader keeps of an interface description block.
type ngInterface struct {
	link    LinkType
	snaplen uint32
	units   uint64 // timestamp units per second (if_tsresol)
	offset  int64  // seconds added to each timestamp (if_tsoffset)
}

// startNG reads the first section header of a pcapng capture.
func (r *Reader) startNG() bool {
	r.info.Format = FormatPcapNG
	if !r.readSection(0) {
		return false
	}

	r.inHeader = false
	r.parse = r.nextNG
	return r.nextNG()
}

// nextNG reads blocks up to and including the next packet block.
func (r *Reader) nextNG() bool {
	for {
		off := r.offset()
		if r.end-r.pos < 8 && !r.fill(8) {
			if r.cleanEnd() {
				return false
			}
			return r.short(off, 0, "block header", 8)
		}

		typ := r.ng.order.u32(r.buf[r.pos:])
		length := r.ng.order.u32(r.buf[r.pos+4:])
		switch typ {
		case blockEPB, blockSPB, blockPB:
			body, ok := r.block(r.ng.order, off, typ, length)
			return ok && r.packet(off, typ, body)
		case blockIDB:
			body, ok := r.block(r.ng.order, off, typ, length)
			if !ok || !r.addInterface(off, body) {
				return false
			}
		case blockSHB:
			if !r.readSection(off) {
				return false
			}
		default:
			if !r.skipBlock(off, typ, length) {
				return false
			}
		}
	}
}

// checkLength checks the length of a block against the framing rules and
// against limit.
func (r *Reader) checkLength(off int64, typ, length, limit uint32) bool {
	switch {
	case length < minBlock || length%4 != 0:
		return r.corrupt(off, "%s has bad length %d", blockName(typ), length)
	case length > limit:
		return r.corrupt(off, "%s claims %d bytes (limit %d)", blockName(typ), length, limit)
	}
	return true
}

// block reads the whole block at offset off, checks its trailing length and
// returns its body: what lies between the leading and trailing lengths.
func (r *Reader) block(order byteOrder, off int64, typ, length uint32) ([]byte, bool) {
	if !r.checkLength(off, typ, length, maxBlock) {
		return nil, false
	}

	n := int(length)
	if r.end-r.pos < n && !r.fill(n) {
		return nil, r.short(off, 0, blockName(typ), n)
	}

	b := r.buf[r.pos : r.pos+n]
	if trailer := order.u32(b[n-4:]); trailer != length {
		return nil, r.corrupt(off, "%s of %d bytes ends with length %d",
			blockName(typ), length, trailer)
	}
	r.pos += n
	return b[8 : n-4], true
}

// skipBlock streams past a block the reader has no use for, checking its
// framing.
func (r *Reader) skipBlock(off int64, typ, length uint32) bool {
	if !r.checkLength(off, typ, length, maxSkipBlock) {
		return false
	}

	if !r.skip(int64(length)-4) || !r.fill(4) {
		return r.short(off, 0, blockName(typ), int(length))
	}
	if trailer := r.ng.order.u32(r.buf[r.pos:]); trailer != length {
		return r.corrupt(off, "%s of %d bytes ends with length %d",
			blockName(typ), length, trailer)
	}
	r.pos += 4
	return true
}

// readSection reads a section header block: its byte-order magic sets the
// byte order of the blocks that follow, and the section starts with no
// interfaces.
func (r *Reader) readSection(off int64) bool {
	if r.end-r.pos < 12 && !r.fill(12) {
		return r.short(off, 0, "section header block", 12)
	}

	var order byteOrder
	switch bom := binary.LittleEndian.Uint32(r.buf[r.pos+8:]); bom {
	case 0x1a2b3c4d:
		order = littleEndian
	case 0x4d3c2b1a:
		order = bigEndian
	default:
		return r.corrupt(off, "section header block has bad byte-order magic %#08x", bom)
	}

	length := order.u32(r.buf[r.pos+4:])
	if length < minSHB {
		return r.corrupt(off, "section header block has bad length %d", length)
	}
	body, ok := r.block(order, off, blockSHB, length)
	if !ok {
		return false
	}

	if major, minor := order.u16(body[4:]), order.u16(body[6:]); major != 1 {
		return r.corrupt(off, "pcapng version %d.%d not supported", major, minor)
	}
	r.ng.order = order
	r.ng.ifaces = r.ng.ifaces[:0]
	return true
}

// addInterface reads an interface description block.
func (r *Reader) addInterface(off int64, body []byte) bool {
	order := r.ng.order
	if len(body) < 8 {
		return r.corrupt(off, "interface description block too short (%d bytes)", len(body))
	}

	iface := ngInterface{
		link:    LinkType(order.u16(body)),
		snaplen: order.u32(body[4:]),
		units:   1e6,
	}
	resol, ok := iface.readOptions(order, body[8:])
	if !ok {
		return r.corrupt(off, "interface %d: if_tsresol %#02x not supported",
			len(r.ng.ifaces), resol)
	}

	r.ng.ifaces = append(r.ng.ifaces, iface)
	r.addLinkType(iface.link)
	return true
}

// readOptions reads the options of an interface description block. A
// malformed option list is not fatal: reading stops at the first option that
// overruns the block. It returns false with the if_tsresol value when that
// resolution cannot be represented.
func (f *ngInterface) readOptions(order byteOrder, opts []byte) (byte, bool) {
	for len(opts) >= 4 {
		code, n := order.u16(opts), int(order.u16(opts[2:]))
		if code == optEndOfOpt || 4+n > len(opts) {
			break
		}

		val := opts[4 : 4+n]
		switch {
		case code == optTSResol && n >= 1:
			units, ok := tsUnits(val[0])
			if !ok {
				return val[0], false
			}
			f.units = units
		case code == optTSOffset && n >= 8:
			f.offset = max(min(int64(order.u64(val)), maxSeconds), -maxSeconds)
		}
		opts = opts[min(4+(n+3)&^3, len(opts)):]
	}
	return 0, true
}

// tsUnits returns the timestamp units per second for an if_tsresol value: a
// negative power of 10, or of 2 when the high bit is set.
func tsUnits(resol byte) (uint64, bool) {
	exp := resol & 0x7f
	if resol&0x80 != 0 {
		return 1 << exp, exp < 64
	}
	if exp > 19 {
		return 0, false
	}

	units := uint64(1)
	for range exp {
		units *= 10
	}
	return units, true
}

// packet reads the frame in a packet block.
func (r *Reader) packet(off int64, typ uint32, body []byte) bool {
	order := r.ng.order
	switch {
	case typ == blockSPB && len(body) >= 4:
		return r.simplePacket(off, body)
	case typ == blockEPB && len(body) >= 20:
		ts := uint64(order.u32(body[4:]))<<32 | uint64(order.u32(body[8:]))
		return r.ngFrame(off, order.u32(body), ts, body[12:])
	case typ == blockPB && len(body) >= 20:
		ts := uint64(order.u32(body[4:]))<<32 | uint64(order.u32(body[8:]))
		return r.ngFrame(off, uint32(order.u16(body)), ts, body[12:])
	}
	return r.corrupt(off, "%s too short (%d bytes)", blockName(typ), len(body)+12)
}

// ngFrame yields the frame of an enhanced or obsolete packet block, given
// the interface, the timestamp and the rest of the body: the captured and
// original lengths, then the data.
func (r *Reader) ngFrame(off int64, id uint32, ts uint64, rest []byte) bool {
	if uint64(id) >= uint64(len(r.ng.ifaces)) {
		return r.corrupt(off, "frame on interface %d, but the section has %d",
			id, len(r.ng.ifaces))
	}

	capLen, origLen := r.ng.order.u32(rest), r.ng.order.u32(rest[4:])
	data := rest[8:]
	if uint64(capLen) > uint64(len(data)) {
		return r.corrupt(off, "frame claims %d bytes, block holds %d", capLen, len(data))
	}

	iface := &r.ng.ifaces[id]
	return r.yield(iface.time(ts), iface.link, data[:capLen:capLen], origLen)
}

// simplePacket yields the frame of a simple packet block. It belongs to the
// first interface and carries no timestamp: the frame gets the time of the
// frame before it.
func (r *Reader) simplePacket(off int64, body []byte) bool {
	if len(r.ng.ifaces) == 0 {
		return r.corrupt(off, "simple packet block before any interface")
	}

	iface := &r.ng.ifaces[0]
	origLen := r.ng.order.u32(body)
	data := body[4:]
	capLen := min(uint64(origLen), uint64(len(data)))
	if iface.snaplen > 0 {
		capLen = min(capLen, uint64(iface.snaplen))
	}
	return r.yield(r.info.Last, iface.link, data[:capLen:capLen], origLen)
}

// time converts a timestamp in the interface's units. The division keeps
// 64-bit timestamps exact whatever the resolution.
func (f *ngInterface) time(ts uint64) time.Time {
	var sec, nsec uint64
	switch f.units {
	case 1e6:
		sec, nsec = ts/1e6, ts%1e6*1e3
	case 1e9:
		sec, nsec = ts/1e9, ts%1e9
	default:
		sec = ts / f.units
		hi, lo := bits.Mul64(ts%f.units, 1e9)
		nsec, _ = bits.Div64(hi, lo, f.units)
	}

	s := int64(min(sec, maxSeconds)) + f.offset
	return time.Unix(s, int64(nsec)).UTC()
}

// blockName names a block type in errors.
func blockName(typ uint32) string {
	switch typ {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockEPB:
		return "enhanced packet block"
	}
	return fmt.Sprintf("block of type %#x", typ)
}

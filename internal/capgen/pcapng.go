package capgen

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// pcapng block types and option codes (draft-ietf-opsawg-pcapng).
const (
	blockSHB        uint32 = 0x0a0d0d0a
	blockIDB        uint32 = 1
	blockEPB        uint32 = 6
	byteOrderMagic  uint32 = 0x1a2b3c4d
	optEndOfOpt     uint16 = 0
	optSHBUserAppl  uint16 = 4
	optIfName       uint16 = 2
	optIfTSResol    uint16 = 9
	ngUserAppl             = "pdnsx-gen"
	tsresolBinary          = 0x80
	tsresolMaxPow10        = 9
	tsresolMaxPow2         = 32
)

// Timestamp resolutions for NgInterface.TSResol: 10^-n seconds for n, or
// 2^-n seconds for TSResolPow2|n.
const (
	TSResolMicro uint8 = 6
	TSResolNano  uint8 = 9
	TSResolPow2  uint8 = tsresolBinary
)

// byteOrder encodes integers into fixed slots and appends them.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// NgInterface describes a pcapng interface (an Interface Description
// Block).
type NgInterface struct {
	LinkType LinkType
	Snaplen  uint32 // 0 means DefaultSnaplen
	TSResol  uint8  // if_tsresol; 0 means TSResolMicro, and the option is then omitted
	Name     string // if_name, omitted when empty
}

// NgWriter writes a pcapng file: sections, each with its own byte order and
// interfaces, and Enhanced Packet Blocks.
type NgWriter struct {
	w      io.Writer
	order  byteOrder
	ifaces []NgInterface
	buf    []byte
}

// NewNgWriter writes the first Section Header Block to w, in big-endian
// order if bigEndian, and returns the writer.
func NewNgWriter(w io.Writer, bigEndian bool) (*NgWriter, error) {
	nw := &NgWriter{w: w}
	if err := nw.NewSection(bigEndian); err != nil {
		return nil, err
	}
	return nw, nil
}

// NewSection starts a new section: it writes a Section Header Block in the
// given byte order. Interfaces of earlier sections can no longer be used.
func (nw *NgWriter) NewSection(bigEndian bool) error {
	nw.order = binary.LittleEndian
	if bigEndian {
		nw.order = binary.BigEndian
	}
	nw.ifaces = nw.ifaces[:0]

	b := nw.order.AppendUint32(nil, byteOrderMagic)
	b = nw.order.AppendUint16(b, 1) // version 1.0
	b = nw.order.AppendUint16(b, 0)
	b = nw.order.AppendUint64(b, ^uint64(0)) // section length unknown
	b = nw.appendOption(b, optSHBUserAppl, []byte(ngUserAppl))
	b = nw.appendOption(b, optEndOfOpt, nil)
	return nw.writeBlock(blockSHB, b)
}

// AddInterface writes an Interface Description Block and returns the
// interface's ID within the current section.
func (nw *NgWriter) AddInterface(ifc NgInterface) (int, error) {
	if ifc.Snaplen == 0 {
		ifc.Snaplen = DefaultSnaplen
	}
	if _, err := tsUnits(ifc.TSResol); err != nil {
		return 0, err
	}

	b := nw.order.AppendUint16(nil, uint16(ifc.LinkType))
	b = nw.order.AppendUint16(b, 0)
	b = nw.order.AppendUint32(b, ifc.Snaplen)
	if ifc.Name != "" {
		b = nw.appendOption(b, optIfName, []byte(ifc.Name))
	}
	if ifc.TSResol != 0 {
		b = nw.appendOption(b, optIfTSResol, []byte{ifc.TSResol})
	}
	if ifc.Name != "" || ifc.TSResol != 0 {
		b = nw.appendOption(b, optEndOfOpt, nil)
	}

	nw.ifaces = append(nw.ifaces, ifc)
	return len(nw.ifaces) - 1, nw.writeBlock(blockIDB, b)
}

// WriteFrame writes an Enhanced Packet Block for interface iface captured
// at t. The frame is cut to the interface's snapshot length; origLen is its
// length on the wire (len(data) when zero).
func (nw *NgWriter) WriteFrame(iface int, t time.Time, data []byte, origLen int) error {
	if iface < 0 || iface >= len(nw.ifaces) {
		return fmt.Errorf("capgen: pcapng: no interface %d in this section", iface)
	}
	ifc := nw.ifaces[iface]
	if origLen == 0 {
		origLen = len(data)
	}
	if len(data) > int(ifc.Snaplen) {
		data = data[:ifc.Snaplen]
	}

	ts := timestamp(t, ifc.TSResol)
	b := nw.order.AppendUint32(nw.buf[:0], uint32(iface))
	b = nw.order.AppendUint32(b, uint32(ts>>32))
	b = nw.order.AppendUint32(b, uint32(ts))
	b = nw.order.AppendUint32(b, uint32(len(data)))
	b = nw.order.AppendUint32(b, uint32(origLen))
	b = append(b, data...)
	b = pad4(b)
	nw.buf = b
	return nw.writeBlock(blockEPB, b)
}

// writeBlock writes a block of the given type around body, which must be
// padded to 4 bytes.
func (nw *NgWriter) writeBlock(typ uint32, body []byte) error {
	total := uint32(12 + len(body))
	var head [8]byte
	nw.order.PutUint32(head[0:], typ)
	nw.order.PutUint32(head[4:], total)
	var tail [4]byte
	nw.order.PutUint32(tail[:], total)

	for _, part := range [][]byte{head[:], body, tail[:]} {
		if _, err := nw.w.Write(part); err != nil {
			return fmt.Errorf("capgen: pcapng block %#x: %w", typ, err)
		}
	}
	return nil
}

// appendOption appends a pcapng option padded to 4 bytes.
func (nw *NgWriter) appendOption(b []byte, code uint16, value []byte) []byte {
	b = nw.order.AppendUint16(b, code)
	b = nw.order.AppendUint16(b, uint16(len(value)))
	return pad4(append(b, value...))
}

// pad4 pads b with zero bytes to a multiple of 4.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// tsUnits returns the number of timestamp units per second for an
// if_tsresol value (0 meaning microseconds).
func tsUnits(resol uint8) (uint64, error) {
	if resol == 0 {
		resol = TSResolMicro
	}
	n := resol &^ tsresolBinary
	if resol&tsresolBinary != 0 {
		if n > tsresolMaxPow2 {
			return 0, fmt.Errorf("capgen: pcapng: if_tsresol 2^-%d not supported", n)
		}
		return 1 << n, nil
	}
	if n > tsresolMaxPow10 {
		return 0, fmt.Errorf("capgen: pcapng: if_tsresol 10^-%d not supported", n)
	}
	units := uint64(1)
	for range n {
		units *= 10
	}
	return units, nil
}

// timestamp converts t to units of the resolution resol, truncating.
func timestamp(t time.Time, resol uint8) uint64 {
	units, _ := tsUnits(resol) // checked by AddInterface
	frac := uint64(t.Nanosecond()) * units / uint64(time.Second)
	return uint64(t.Unix())*units + frac
}

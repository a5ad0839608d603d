package capgen

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Classic pcap magic numbers, as written in the writer's byte order.
const (
	pcapMagicMicro uint32 = 0xa1b2c3d4
	pcapMagicNano  uint32 = 0xa1b23c4d
)

// DefaultSnaplen is the snapshot length written when an option leaves it
// zero (tcpdump's default).
const DefaultSnaplen = 262144

// PcapOptions selects the variant of a classic pcap file.
type PcapOptions struct {
	LinkType   LinkType
	Snaplen    uint32 // 0 means DefaultSnaplen; longer frames are cut to it
	Nanosecond bool   // nanosecond timestamps (magic 0xa1b23c4d)
	BigEndian  bool   // write the file as a big-endian host would
}

// PcapWriter writes a classic pcap file (the libpcap format, see
// draft-ietf-opsawg-pcap).
type PcapWriter struct {
	w       io.Writer
	order   binary.ByteOrder
	opt     PcapOptions
	hdr     [16]byte
	records int64
}

// NewPcapWriter writes the file header to w and returns a writer for the
// records.
func NewPcapWriter(w io.Writer, opt PcapOptions) (*PcapWriter, error) {
	pw := &PcapWriter{w: w, order: binary.LittleEndian, opt: opt}
	if opt.BigEndian {
		pw.order = binary.BigEndian
	}
	if pw.opt.Snaplen == 0 {
		pw.opt.Snaplen = DefaultSnaplen
	}

	magic := pcapMagicMicro
	if opt.Nanosecond {
		magic = pcapMagicNano
	}
	var hdr [24]byte
	pw.order.PutUint32(hdr[0:], magic)
	pw.order.PutUint16(hdr[4:], 2) // version 2.4
	pw.order.PutUint16(hdr[6:], 4)
	pw.order.PutUint32(hdr[16:], pw.opt.Snaplen)
	pw.order.PutUint32(hdr[20:], uint32(opt.LinkType))
	if _, err := w.Write(hdr[:]); err != nil {
		return nil, fmt.Errorf("capgen: pcap header: %w", err)
	}
	return pw, nil
}

// WriteFrame writes one record captured at t. The frame is cut to the
// snapshot length; origLen is its length on the wire (len(data) when zero).
func (pw *PcapWriter) WriteFrame(t time.Time, data []byte, origLen int) error {
	if origLen == 0 {
		origLen = len(data)
	}
	if len(data) > int(pw.opt.Snaplen) {
		data = data[:pw.opt.Snaplen]
	}

	frac := uint32(t.Nanosecond())
	if !pw.opt.Nanosecond {
		frac /= 1000
	}
	pw.order.PutUint32(pw.hdr[0:], uint32(t.Unix()))
	pw.order.PutUint32(pw.hdr[4:], frac)
	pw.order.PutUint32(pw.hdr[8:], uint32(len(data)))
	pw.order.PutUint32(pw.hdr[12:], uint32(origLen))
	pw.records++

	if _, err := pw.w.Write(pw.hdr[:]); err != nil {
		return fmt.Errorf("capgen: pcap record %d: %w", pw.records, err)
	}
	if _, err := pw.w.Write(data); err != nil {
		return fmt.Errorf("capgen: pcap record %d: %w", pw.records, err)
	}
	return nil
}

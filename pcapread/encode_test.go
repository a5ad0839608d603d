package pcapread

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// This file encodes small captures for the tests.

// order is a byte order to encode in.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pcapRecord is one record of a classic pcap capture.
type pcapRecord struct {
	sec, frac uint32
	data      []byte
	origLen   uint32 // 0 means len(data)
	capLen    uint32 // 0 means len(data); set to claim another length
}

// encodePcap encodes a classic pcap capture with the given magic number
// (written in byte order o), link type field and snapshot length.
func encodePcap(o order, magic, link, snaplen uint32, recs ...pcapRecord) []byte {
	b := o.AppendUint32(nil, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0) // thiszone
	b = o.AppendUint32(b, 0) // sigfigs
	b = o.AppendUint32(b, snaplen)
	b = o.AppendUint32(b, link)
	for _, rec := range recs {
		b = appendPcapRecord(b, o, magic == magicPcapModified, rec)
	}
	return b
}

func appendPcapRecord(b []byte, o order, modified bool, rec pcapRecord) []byte {
	capLen, origLen := uint32(len(rec.data)), uint32(len(rec.data))
	if rec.capLen != 0 {
		capLen = rec.capLen
	}
	if rec.origLen != 0 {
		origLen = rec.origLen
	}

	b = o.AppendUint32(b, rec.sec)
	b = o.AppendUint32(b, rec.frac)
	b = o.AppendUint32(b, capLen)
	b = o.AppendUint32(b, origLen)
	if modified {
		b = append(b, 1, 0, 0, 0, 0, 8, 4, 0) // ifindex, protocol, type, pad
	}
	return append(b, rec.data...)
}

// ngWriter encodes a pcapng capture block by block.
type ngWriter struct {
	o order
	b []byte
}

// block appends a block of type typ with the given body, padded to 4 bytes.
func (w *ngWriter) block(typ uint32, body []byte) *ngWriter {
	body = pad4(body)
	n := uint32(12 + len(body))
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = w.o.AppendUint32(w.b, n)
	return w
}

// section starts a section in byte order o.
func (w *ngWriter) section(o order) *ngWriter {
	w.o = o
	body := o.AppendUint32(nil, 0x1a2b3c4d)
	body = o.AppendUint16(body, 1)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0)) // section length unknown
	body = append(body, w.opt(3, []byte("pcapread test"))...)
	body = append(body, w.opt(0, nil)...)
	return w.block(blockSHB, body)
}

// iface appends an interface description block with options.
func (w *ngWriter) iface(link uint16, snaplen uint32, opts ...[]byte) *ngWriter {
	body := w.o.AppendUint16(nil, link)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snaplen)
	for _, opt := range opts {
		body = append(body, opt...)
	}
	if len(opts) > 0 {
		body = append(body, w.opt(optEndOfOpt, nil)...)
	}
	return w.block(blockIDB, body)
}

// opt encodes an option.
func (w *ngWriter) opt(code uint16, val []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(val)))
	return pad4(append(b, val...))
}

// tsresol encodes an if_tsresol option.
func (w *ngWriter) tsresol(v byte) []byte { return w.opt(optTSResol, []byte{v}) }

// tsoffset encodes an if_tsoffset option.
func (w *ngWriter) tsoffset(sec int64) []byte {
	return w.opt(optTSOffset, w.o.AppendUint64(nil, uint64(sec)))
}

// epb appends an enhanced packet block.
func (w *ngWriter) epb(id uint32, ts uint64, data []byte, origLen uint32) *ngWriter {
	body := w.o.AppendUint32(nil, id)
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, origLen)
	body = append(body, pad4(data)...)
	body = append(body, w.opt(1, []byte("comment"))...)
	return w.block(blockEPB, body)
}

// pb appends an obsolete packet block.
func (w *ngWriter) pb(id uint16, ts uint64, data []byte, origLen uint32) *ngWriter {
	body := w.o.AppendUint16(nil, id)
	body = w.o.AppendUint16(body, 0) // drops
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, origLen)
	return w.block(blockPB, append(body, data...))
}

// spb appends a simple packet block.
func (w *ngWriter) spb(data []byte, origLen uint32) *ngWriter {
	return w.block(blockSPB, append(w.o.AppendUint32(nil, origLen), data...))
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// payload returns n bytes that differ from frame to frame.
func payload(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7)
	}
	return b
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func zstded(b []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// gotFrame is a copy of a Frame that outlives the next call to Next.
type gotFrame struct {
	Number   int64
	Time     time.Time
	LinkType LinkType
	Data     []byte
	OrigLen  int
}

// readAll reads every frame of a capture held in memory.
func readAll(capture []byte, size int) ([]gotFrame, *Reader) {
	r := newReader(bytes.NewReader(capture), "test.pcap", size)
	var frames []gotFrame
	for r.Next() {
		f := r.Frame()
		frames = append(frames, gotFrame{f.Number, f.Time, f.LinkType,
			bytes.Clone(f.Data), f.OrigLen})
	}
	return frames, r
}

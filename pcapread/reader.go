package pcapread

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
)

// bufSize is the size of a Reader's buffer. Frames wholly inside it are
// handed out without a copy.
const bufSize = 1 << 20

// minRead is the least room a Reader leaves after the data it holds before
// reading more: below it, the unread bytes move to the front of the buffer.
const minRead = 64 << 10

// Reader reads the frames of one capture file, in file order.
//
// A Reader is not safe for concurrent use, except BytesRead.
type Reader struct {
	name string
	file *os.File  // nil for NewReader
	src  *source   // the file as stored, counted and hashed
	head [8]byte   // the first bytes of the file, for the magic number
	dec  io.Reader // decompressed bytes, or src itself
	zstd *zstd.Decoder
	// codec names the compression for errors, "" when there is none.
	codec string

	buf   []byte
	pos   int   // start of the unread bytes in buf
	end   int   // end of the bytes read into buf
	base  int64 // offset of buf[0] in the decompressed stream
	serr  error // sticky error from dec; io.EOF at its end
	empty int   // reads in a row that returned nothing

	parse    func() bool // reads the next frame in the detected format
	inHeader bool        // still reading the file header
	pcap     pcapState
	ng       ngState

	frame  Frame
	info   Info
	links  [1 << 16 / 64]uint64 // link types already in info.LinkTypes
	err    error
	done   bool
	closed bool
	digest [32]byte
}

// Open opens the capture file at path. It fails only when the file cannot be
// opened; format problems, ErrNotCapture included, surface through Next and
// Err, so that Info still reports the size and SHA-256 of a bad file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pcapread: %w", err)
	}

	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			return nil, fmt.Errorf("pcapread: %s: is a directory", path)
		}
		return nil, fmt.Errorf("pcapread: %w", err)
	}

	r := NewReader(f, path)
	r.file = f
	return r, nil
}

// NewReader returns a Reader that reads a capture from rd; name is used in
// errors and may be empty.
func NewReader(rd io.Reader, name string) *Reader {
	return newReader(rd, name, bufSize)
}

func newReader(rd io.Reader, name string, size int) *Reader {
	r := &Reader{name: name, src: newSource(rd)}
	r.buf = make([]byte, max(size, len(r.head)))
	r.dec = r.src
	r.parse = r.start
	r.inHeader = true
	return r
}

// Next advances to the next frame. It returns false at the end of the
// capture or on an error; Err tells which. Once Next has returned false, the
// whole file has been read through the hash.
func (r *Reader) Next() bool {
	if r.done || r.closed {
		return false
	}
	if r.parse() {
		return true
	}

	r.finish()
	return false
}

// Frame returns the current frame. The Frame and its Data are reused by the
// next call to Next: copy what must outlive it.
func (r *Reader) Frame() *Frame { return &r.frame }

// Err returns nil after a clean end of the capture, else a *FormatError.
// Its Err field is ErrNotCapture, ErrTruncated, ErrCorrupt, or the I/O
// error that stopped the read.
func (r *Reader) Err() error { return r.err }

// Info describes the capture as far as it has been read. Size, SHA256 and
// Last are final once Next has returned false.
func (r *Reader) Info() Info {
	info := r.info
	info.LinkTypes = slices.Clone(r.info.LinkTypes)
	info.Size = r.src.count.Load()
	info.SHA256 = r.digest
	if !r.done {
		info.SHA256 = r.src.digest()
	}
	return info
}

// BytesRead returns the number of bytes read from the file (as stored) so
// far. It is safe to call from another goroutine, e.g. for a progress bar.
func (r *Reader) BytesRead() int64 { return r.src.count.Load() }

// Close releases the decompressor and closes the file opened by Open. Next
// returns false after Close.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}

	r.closed = true
	r.closeCodec()
	r.src.close()
	if r.file != nil {
		return r.file.Close()
	}
	return nil
}

// finish reads the rest of the file through the hash and releases the
// decompressor, so that Info covers the whole file.
func (r *Reader) finish() {
	r.done = true
	r.frame = Frame{}
	err := r.src.drain(r.buf[:cap(r.buf)])
	if err != nil && r.err == nil {
		r.err = &FormatError{File: r.name, Offset: r.offset(), Err: err}
	}

	r.closeCodec()
	r.digest = r.src.digest()
	r.src.close()
}

func (r *Reader) closeCodec() {
	if r.zstd != nil {
		r.zstd.Close()
		r.zstd = nil
	}
}

// yield makes the frame current and counts it.
func (r *Reader) yield(t time.Time, link LinkType, data []byte, origLen uint32) bool {
	r.info.Frames++
	r.frame = Frame{
		Number:   r.info.Frames,
		Time:     t,
		LinkType: link,
		Data:     data,
		OrigLen:  int(origLen),
	}

	if r.info.Frames == 1 {
		r.info.First = t
	}
	r.info.Last = t
	return true
}

// addLinkType records a link type in Info, once.
func (r *Reader) addLinkType(lt LinkType) {
	word, bit := lt/64, uint64(1)<<(lt%64)
	if r.links[word]&bit == 0 {
		r.links[word] |= bit
		r.info.LinkTypes = append(r.info.LinkTypes, lt)
	}
}

// offset returns the offset of the first unread byte in the decompressed
// stream.
func (r *Reader) offset() int64 { return r.base + int64(r.pos) }

// fill makes at least n unread bytes available in buf[pos:end]. It returns
// false when the stream ends or fails first; serr then says why. Callers
// bound n (maxRecord, maxBlock) before asking.
func (r *Reader) fill(n int) bool {
	for r.end-r.pos < n {
		if r.serr != nil {
			return false
		}
		r.makeRoom(n)

		m, err := r.dec.Read(r.buf[r.end:])
		r.end += m
		r.empty = nextEmpty(r.empty, m)
		switch {
		case err != nil:
			r.serr = err
		case r.empty > maxEmptyReads:
			r.serr = io.ErrNoProgress
		}
	}
	return true
}

// makeRoom makes space after end for a read, moving the unread bytes to the
// front of the buffer when little room is left or the n bytes wanted would
// not fit. The buffer grows only when it is full of unread bytes, so its
// size follows the data actually present, never a length the file claims.
func (r *Reader) makeRoom(n int) {
	room := len(r.buf) - r.end
	if r.pos > 0 && (room < min(minRead, len(r.buf)/2) || len(r.buf)-r.pos < n) {
		copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.end -= r.pos
		r.pos = 0
	}

	if r.end == len(r.buf) {
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
}

// skip consumes n bytes of the stream without keeping them. It returns false
// when the stream ends or fails first.
func (r *Reader) skip(n int64) bool {
	for {
		if held := int64(r.end - r.pos); n <= held {
			r.pos += int(n)
			return true
		}

		n -= int64(r.end - r.pos)
		r.base += int64(r.end)
		r.pos, r.end = 0, 0
		if !r.fill(1) {
			return false
		}
	}
}

// cleanEnd reports whether the stream ended cleanly with nothing unread.
func (r *Reader) cleanEnd() bool {
	return r.pos == r.end && r.endedCleanly()
}

// endedCleanly reports whether the stream has reached its end without an
// error, whatever is still unread in the buffer.
func (r *Reader) endedCleanly() bool {
	return errors.Is(r.serr, io.EOF) && r.src.ioFailed() == nil
}

// fail records a FormatError at stream offset off and returns false.
func (r *Reader) fail(off int64, err error, detail string) bool {
	frame := r.info.Frames + 1
	if r.inHeader {
		frame = 0
	}

	r.err = &FormatError{File: r.name, Frame: frame, Offset: off, Err: err, Detail: detail}
	return false
}

// corrupt records an ErrCorrupt at stream offset off and returns false.
func (r *Reader) corrupt(off int64, format string, args ...any) bool {
	return r.fail(off, ErrCorrupt, fmt.Sprintf(format, args...))
}

// short records why a record or block at offset off could not be read whole:
// the stream ended (ErrTruncated), the decompressor failed (ErrTruncated or
// ErrCorrupt) or the file could not be read. The what part of the record
// starts skip bytes into it and needed need bytes.
func (r *Reader) short(off int64, skip int, what string, need int) bool {
	left := max(r.base+int64(r.end)-off-int64(skip), 0)
	detail := fmt.Sprintf("%s needs %d bytes, %d left", what, need, left)
	if err := r.src.ioFailed(); err != nil {
		return r.fail(off, err, "")
	}

	switch {
	case errors.Is(r.serr, io.EOF):
		return r.fail(off, ErrTruncated, detail)
	case r.codec == "":
		return r.fail(off, r.serr, "")
	case errors.Is(r.serr, io.ErrUnexpectedEOF):
		return r.fail(off, ErrTruncated, r.codec+" stream cut short: "+detail)
	default:
		detail = fmt.Sprintf("%s data damaged (%v): %s", r.codec, r.serr, detail)
		return r.fail(off, ErrCorrupt, detail)
	}
}

// byteOrder is the byte order of a capture or pcapng section.
type byteOrder bool

const (
	littleEndian byteOrder = false
	bigEndian    byteOrder = true
)

func (o byteOrder) u16(b []byte) uint16 {
	_ = b[1]
	if o == bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (o byteOrder) u32(b []byte) uint32 {
	_ = b[3]
	if o == bigEndian {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func (o byteOrder) u64(b []byte) uint64 {
	if o == bigEndian {
		return uint64(o.u32(b))<<32 | uint64(o.u32(b[4:]))
	}
	return uint64(o.u32(b[4:]))<<32 | uint64(o.u32(b))
}

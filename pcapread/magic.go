package pcapread

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Magic numbers, as the first four bytes read little-endian.
const (
	magicPcapMicro    = 0xa1b2c3d4
	magicPcapNano     = 0xa1b23c4d
	magicPcapModified = 0xa1b2cd34 // Alexey Kuznetzov's patched libpcap
	magicPcapNG       = 0x0a0d0d0a // block type of a section header block
)

// Limits of the zstd decoder: the largest window it accepts (what `zstd
// --long` or `--ultra -22` use) and so the most memory it holds.
const zstdMaxWindow = 128 << 20

// compBufSize is the size of the buffer between the file and a decompressor.
const compBufSize = 256 << 10

// otherCompressions are the compressions recognised only to name them.
var otherCompressions = []struct {
	name  string
	magic []byte
}{
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}},
	{"lz4", []byte{0x04, 0x22, 0x4d, 0x18}},
	{"lz4 (legacy)", []byte{0x02, 0x21, 0x4c, 0x18}},
	{"bzip2", []byte("BZh")},
	{"zip", []byte("PK\x03\x04")},
}

// start reads the magic numbers, sets up decompression and the parser of
// the capture format, and reads the first frame.
func (r *Reader) start() bool {
	n, _ := io.ReadFull(r.src, r.head[:])
	if err := r.src.ioFailed(); err != nil {
		return r.fail(0, err, "")
	}

	head := r.head[:n]
	r.info.Compression = CompressionNone
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		r.openGzip(head)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		r.openZstd(head)
	default:
		r.end = copy(r.buf, head)
		if n < len(r.head) {
			r.serr = io.EOF
		}
	}
	return r.startCapture()
}

// compressed returns a buffered reader of the whole file as stored, the
// head already read included, for a decompressor.
func (r *Reader) compressed(head []byte) *bufio.Reader {
	stored := io.MultiReader(bytes.NewReader(head), r.src)
	return bufio.NewReaderSize(stored, compBufSize)
}

func (r *Reader) openGzip(head []byte) {
	r.info.Compression = CompressionGzip
	r.codec = "gzip"
	zr, err := gzip.NewReader(r.compressed(head))
	if err != nil {
		r.serr = err
		return
	}
	r.dec = zr
}

func (r *Reader) openZstd(head []byte) {
	r.info.Compression = CompressionZstd
	r.codec = "zstd"
	zr, err := zstd.NewReader(r.compressed(head),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow),
		zstd.WithDecoderMaxMemory(zstdMaxWindow))
	if err != nil {
		r.serr = err
		return
	}
	r.zstd = zr
	r.dec = zr
}

// startCapture reads the capture magic number from the (decompressed)
// stream and hands over to the parser of that format.
func (r *Reader) startCapture() bool {
	if !r.fill(4) && !r.endedCleanly() {
		return r.short(0, 0, "magic number", 4)
	}

	b := r.buf[r.pos:r.end]
	if len(b) < 4 {
		return r.fail(0, ErrNotCapture, r.tooShort(len(b)))
	}

	switch magic := binary.LittleEndian.Uint32(b); magic {
	case magicPcapMicro, magicPcapNano, magicPcapModified:
		return r.startPcap(littleEndian, magic)
	case swap32(magicPcapMicro), swap32(magicPcapNano), swap32(magicPcapModified):
		return r.startPcap(bigEndian, swap32(magic))
	case magicPcapNG:
		return r.startNG()
	}
	return r.fail(0, ErrNotCapture, r.unknownMagic(b))
}

// tooShort describes a file too short to hold a magic number.
func (r *Reader) tooShort(n int) string {
	what := "file"
	if r.codec != "" {
		what = r.codec + "-compressed data"
	}
	if n == 0 {
		return what + " is empty"
	}
	return fmt.Sprintf("%s is only %d bytes", what, n)
}

// unknownMagic describes the first bytes of something that is not a capture.
func (r *Reader) unknownMagic(b []byte) string {
	detail := ""
	for _, c := range otherCompressions {
		if bytes.HasPrefix(b, c.magic) {
			detail = c.name + "-compressed; decompress it first"
		}
	}

	if detail == "" {
		detail = fmt.Sprintf("unknown magic number % x", b[:4])
		if isText(b[:min(len(b), 8)]) {
			detail += " (looks like text)"
		}
	}
	if r.codec != "" {
		detail = "inside " + r.codec + ": " + detail
	}
	return detail
}

// isText reports whether b is printable ASCII or white space.
func isText(b []byte) bool {
	for _, c := range b {
		if (c < ' ' || c > '~') && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func swap32(v uint32) uint32 {
	return v>>24 | v>>8&0xff00 | v<<8&0xff0000 | v<<24
}

package pcapread

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, matched with errors.Is on a *FormatError.
var (
	// ErrNotCapture means the input does not start with a known capture or
	// compression magic number.
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	// ErrTruncated means the input ends inside a record or block.
	ErrTruncated = errors.New("capture cut short")
	// ErrCorrupt means a record or block header is inconsistent (an absurd
	// length, a bad block type or trailer), so the rest cannot be trusted.
	ErrCorrupt = errors.New("corrupt record")
)

// FormatError reports where a capture could not be read.
type FormatError struct {
	File   string // path as given to Open, or "" for NewReader
	Frame  int64  // number of the frame being read (1-based), 0 if in the file header
	Offset int64  // byte offset of the record or block in the decompressed stream
	Err    error  // ErrTruncated, ErrCorrupt, ErrNotCapture, or an I/O error
	Detail string // what exactly was wrong, e.g. "record needs 1514 bytes, 312 left"
}

// Error formats the error as
// "pcapread: FILE: frame N (offset 0xOFF): DETAIL: ERR".
func (e *FormatError) Error() string {
	msg := "pcapread: "
	if e.File != "" {
		msg += e.File + ": "
	}
	if e.Frame > 0 {
		msg += fmt.Sprintf("frame %d (offset %#x): ", e.Frame, e.Offset)
	} else {
		msg += fmt.Sprintf("offset %#x: ", e.Offset)
	}
	if e.Detail != "" {
		msg += e.Detail + ": "
	}
	return msg + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// LinkType is a LINKTYPE_ value from the tcpdump.org registry (DLT numbers as
// stored in capture files).
type LinkType uint16

// Format names a capture file format.
type Format string

// Capture formats.
const (
	FormatPcap   Format = "pcap"
	FormatPcapNS Format = "pcap-ns" // classic pcap with nanosecond timestamps
	FormatPcapNG Format = "pcapng"
)

// Compression names how the capture bytes are stored.
type Compression string

// Compressions recognised by their magic bytes.
const (
	CompressionNone Compression = "none"
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

// Frame is one captured frame. Data aliases the Reader's buffer and is valid
// only until the next call to Next.
type Frame struct {
	Number   int64     // 1-based position in the file, as Wireshark numbers frames
	Time     time.Time // capture timestamp, UTC
	LinkType LinkType  // link type of the interface the frame was captured on
	Data     []byte    // captured bytes (may be shorter than OrigLen)
	OrigLen  int       // length of the frame on the wire
}

// Info describes a capture as far as it has been read. Size, SHA256 and the
// last frame time are final once Next has returned false.
type Info struct {
	Format      Format
	Compression Compression
	LinkTypes   []LinkType // distinct link types of the interfaces, in order of appearance
	Size        int64      // bytes read from the file (as stored)
	SHA256      [32]byte   // digest of the bytes read from the file (as stored)
	Frames      int64      // frames yielded so far
	First, Last time.Time  // times of the first and last frames yielded
}

package capgen

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names how a capture file is compressed.
type Compression string

// Compressions the writers can produce.
const (
	NoCompression Compression = ""
	Gzip          Compression = "gzip"
	Zstd          Compression = "zstd"
)

// nopCloser adds a Close that does nothing.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Compress returns a writer that compresses into w with c. Close flushes the
// compressed stream but does not close w. The output is deterministic: no
// names or modification times are stored, and zstd runs single-threaded.
func Compress(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case NoCompression:
		return nopCloser{w}, nil
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("capgen: unknown compression %q", c)
}

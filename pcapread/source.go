package pcapread

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync/atomic"
)

// source is the bottom layer of a Reader: it reads the file as stored,
// counts the bytes and hashes each chunk as it passes, so that the SHA-256
// is computed in the same pass that parses the frames. Every decompressor
// reads through it.
type source struct {
	r     io.Reader
	sum   hash.Hash
	count atomic.Int64
	err   error // first error from r, io.EOF included
}

func newSource(r io.Reader) *source {
	return &source{r: r, sum: sha256.New()}
}

// Read reads from the file, hashing and counting what it returns.
func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}

	n, err := s.r.Read(p)
	if n > 0 {
		s.sum.Write(p[:n])
		s.count.Add(int64(n))
	}
	if err != nil {
		s.err = err
	}
	return n, err
}

// drain reads the rest of the file through the hash, using buf as scratch
// space. It returns nil at the end of the file, else the I/O error.
func (s *source) drain(buf []byte) error {
	for empty := 0; ; {
		n, err := s.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}

		empty = nextEmpty(empty, n)
		if empty > maxEmptyReads {
			s.err = io.ErrNoProgress
			return s.err
		}
	}
}

// ioFailed reports the I/O error that stopped the source, if any: an error
// other than the end of the file.
func (s *source) ioFailed() error {
	if s.err == nil || errors.Is(s.err, io.EOF) {
		return nil
	}
	return s.err
}

// digest returns the SHA-256 of the bytes read so far.
func (s *source) digest() [32]byte {
	var d [32]byte
	s.sum.Sum(d[:0])
	return d
}

// maxEmptyReads bounds the reads in a row that may return no data and no
// error before a Reader gives up with io.ErrNoProgress.
const maxEmptyReads = 100

// nextEmpty returns the count of empty reads in a row after a read of n bytes.
func nextEmpty(empty, n int) int {
	if n > 0 {
		return 0
	}
	return empty + 1
}

package pcapread

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// source is the bottom layer of a Reader: it reads the file as stored,
// counts the bytes and hashes each chunk as it passes, so that the SHA-256
// is computed in the same pass that parses the frames. Every decompressor
// reads through it.
//
// Hashing costs about as much as parsing, so it runs in a goroutine of its
// own on copies of the chunks: a capture is parsed on one core and hashed on
// another. At most hashChunks chunks wait to be hashed; the reader waits
// when the hash falls that far behind.
type source struct {
	r     io.Reader
	count atomic.Int64
	err   error // first error from r, io.EOF included

	sum     hash.Hash
	chunk   []byte         // bytes read but not yet handed to the hasher
	free    chan []byte    // empty chunks
	work    chan []byte    // chunks to hash, in file order
	pending sync.WaitGroup // chunks handed over and not yet hashed
	once    sync.Once      // starts the hasher
	stop    sync.Once      // stops the hasher
}

// Sizes of the hashing pipeline.
const (
	hashChunk  = 1 << 20
	hashChunks = 4
)

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
		s.hash(p[:n])
		s.count.Add(int64(n))
	}
	if err != nil {
		s.err = err
	}
	return n, err
}

// hash hands b to the hasher, by way of a copy.
func (s *source) hash(b []byte) {
	s.once.Do(s.start)
	for len(b) > 0 {
		if s.chunk == nil {
			s.chunk = (<-s.free)[:0]
		}
		n := copy(s.chunk[len(s.chunk):cap(s.chunk)], b)
		s.chunk = s.chunk[:len(s.chunk)+n]
		b = b[n:]
		if len(s.chunk) == cap(s.chunk) {
			s.flush()
		}
	}
}

// start starts the hasher goroutine.
func (s *source) start() {
	s.free = make(chan []byte, hashChunks)
	s.work = make(chan []byte, hashChunks)
	for range hashChunks {
		s.free <- make([]byte, 0, hashChunk)
	}
	go func() {
		for b := range s.work {
			s.sum.Write(b)
			s.free <- b
			s.pending.Done()
		}
	}()
}

// flush hands the current chunk to the hasher.
func (s *source) flush() {
	if len(s.chunk) == 0 {
		return
	}
	s.pending.Add(1)
	s.work <- s.chunk
	s.chunk = nil
}

// close stops the hasher; the digest stays readable.
func (s *source) close() {
	s.flush()
	s.pending.Wait()
	s.stop.Do(func() {
		if s.work != nil {
			close(s.work)
		}
	})
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

// digest returns the SHA-256 of the bytes read so far, once the hasher has
// caught up with them.
func (s *source) digest() [32]byte {
	s.flush()
	s.pending.Wait()
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

package pcapread

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the seed corpus in testdata/fuzz")

// fuzzBufSize is the buffer size of the readers under fuzzing: small, so that
// records often straddle the end of the buffer or outgrow it.
const fuzzBufSize = 256

// fuzzSeeds returns the seed corpus of FuzzReader by file name: small valid
// captures of each format and a few broken ones.
func fuzzSeeds() map[string][]byte {
	small := []pcapRecord{
		{sec: 1, frac: 2, data: payload(1, 42)},
		{sec: 3, frac: 4, data: payload(2, 300), origLen: 1514},
	}
	pcap := encodePcap(le, magicPcapMicro, 1, 65535, small...)
	w := &ngWriter{}
	w.section(le).iface(1, 0).iface(113, 0, w.tsresol(9), w.tsoffset(5)).
		epb(1, 1e9, payload(1, 42), 42).spb(payload(2, 20), 20).
		block(5, payload(3, 8)).pb(0, 7, payload(4, 9), 9)
	w.section(be).iface(101, 16, w.tsresol(0x88)).epb(0, 1<<40, payload(5, 30), 30)
	ng := w.b

	return map[string][]byte{
		"pcap-le-micro":      pcap,
		"pcap-be-nano":       encodePcap(be, magicPcapNano, 101, 256, small...),
		"pcap-modified":      encodePcap(le, magicPcapModified, 1, 0, small...),
		"pcapng-two-section": ng,
		"pcap-gzip":          gzipped(pcap),
		"pcapng-zstd":        zstded(ng),
		"pcap-cut":           pcap[:len(pcap)-100],
		"pcap-absurd-caplen": encodePcap(be, magicPcapMicro, 1, 0,
			pcapRecord{sec: 1, data: payload(1, 8), capLen: 1 << 30}),
		"pcapng-bad-trailer": append(bytes.Clone(ng[:len(ng)-1]), 0),
		"pcapng-cut":         ng[:len(ng)-7],
		"text":               []byte("not a capture\n"),
	}
}

// TestFuzzSeeds checks that the seed corpus in testdata/fuzz/FuzzReader
// holds the seeds of fuzzSeeds, or captures that read the same way (the
// compressors may change their output); -update rewrites it.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	for name, seed := range fuzzSeeds() {
		path := filepath.Join(dir, name)
		if *update {
			writeSeed(t, path, seed)
		}

		stored, err := readSeed(path)
		if err != nil {
			t.Errorf("%v; run go test -run TestFuzzSeeds -update", err)
			continue
		}
		got, gotReader := readAll(stored, bufSize)
		want, wantReader := readAll(seed, bufSize)
		if len(got) != len(want) || errorKind(gotReader.Err()) != errorKind(wantReader.Err()) {
			t.Errorf("%s: got %d frames and %v, want %d and %v", path, len(got),
				gotReader.Err(), len(want), wantReader.Err())
		}
	}
}

func writeSeed(t *testing.T, path string, seed []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	text := "go test fuzz v1\n[]byte(" + strconv.Quote(string(seed)) + ")\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readSeed reads a seed file holding one []byte value.
func readSeed(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	quoted, ok := strings.CutPrefix(string(text), "go test fuzz v1\n[]byte(")
	quoted, ok2 := strings.CutSuffix(quoted, ")\n")
	if !ok || !ok2 {
		return nil, fmt.Errorf("%s: not a seed of one []byte", path)
	}
	seed, err := strconv.Unquote(quoted)
	return []byte(seed), err
}

// errorKind returns the sentinel error err matches, or err itself.
func errorKind(err error) error {
	for _, kind := range []error{ErrNotCapture, ErrTruncated, ErrCorrupt} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return err
}

// FuzzReader reads arbitrary bytes: it must not panic, must keep its buffer
// bounded by the data present, and must hand out frames within bounds,
// numbered in order, with an error of a known kind at the end and the whole
// input hashed.
func FuzzReader(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(bytes.NewReader(data), "fuzz", fuzzBufSize)
		var frames, frameBytes int64
		for r.Next() {
			frames++
			checkFuzzFrame(t, r.Frame(), frames)
			frameBytes += int64(len(r.Frame().Data))
		}

		checkFuzzError(t, r.Err())
		checkStored(t, r, data)
		if r.Info().Frames != frames {
			t.Errorf("Info says %d frames, read %d", r.Info().Frames, frames)
		}
		if r.Info().Compression == CompressionNone {
			checkFuzzBounds(t, r, len(data), frames, frameBytes)
		}
	})
}

func checkFuzzFrame(t *testing.T, f *Frame, number int64) {
	if f.Number != number {
		t.Fatalf("got frame number %d, want %d", f.Number, number)
	}
	if len(f.Data) != cap(f.Data) || len(f.Data) > maxRecord || f.OrigLen < 0 {
		t.Fatalf("frame %d: %d bytes, capacity %d, original length %d",
			number, len(f.Data), cap(f.Data), f.OrigLen)
	}
}

func checkFuzzError(t *testing.T, err error) {
	if err == nil {
		return
	}

	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %T %v, want a *FormatError", err, err)
	}
	known := errors.Is(fe, ErrNotCapture) || errors.Is(fe, ErrTruncated) ||
		errors.Is(fe, ErrCorrupt)
	if !known || fe.Offset < 0 || fe.Frame < 0 || fe.Error() == "" {
		t.Fatalf("got error %v at frame %d offset %d", err, fe.Frame, fe.Offset)
	}
}

// checkFuzzBounds checks, for an uncompressed input, that frames and their
// bytes fit in the input and the buffer grew no larger than twice the input.
func checkFuzzBounds(t *testing.T, r *Reader, size int, frames, frameBytes int64) {
	if frameBytes > int64(size) || frames*minBlock > int64(size) {
		t.Errorf("%d frames of %d bytes from a %d-byte input", frames, frameBytes, size)
	}
	if len(r.buf) > max(fuzzBufSize, 2*size) {
		t.Errorf("buffer grew to %d bytes for a %d-byte input", len(r.buf), size)
	}
	if r.err != nil {
		if fe := r.err.(*FormatError); fe.Offset > int64(size) {
			t.Errorf("error at offset %d of a %d-byte input", fe.Offset, size)
		}
	}
}

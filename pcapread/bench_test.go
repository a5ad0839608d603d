package pcapread

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchCaptures holds the captures the benchmarks read, built once: about
// 32 MiB of frames of a realistic size mix, as pcap and as pcapng, each also
// compressed with gzip and zstd.
var benchCaptures = sync.OnceValue(func() map[string][]byte {
	const size = 32 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	var frames [][]byte
	for n := 0; n < size; {
		frame := benchFrame(rng)
		frames = append(frames, frame)
		n += len(frame) + 16
	}

	var recs []pcapRecord
	w := &ngWriter{}
	w.section(le).iface(1, 0).iface(1, 0, w.tsresol(9))
	for i, frame := range frames {
		recs = append(recs, pcapRecord{sec: uint32(i / 1000), frac: uint32(i%1000) * 1000,
			data: frame})
		w.epb(uint32(i%2), uint64(i)*1e6, frame, uint32(len(frame)))
	}
	pcap := encodePcap(le, magicPcapMicro, 1, 65535, recs...)

	return map[string][]byte{
		"pcap": pcap, "pcap.gz": gzipped(pcap), "pcap.zst": zstded(pcap),
		"pcapng": w.b, "pcapng.gz": gzipped(w.b), "pcapng.zst": zstded(w.b),
	}
})

// benchFrame returns a frame: mostly small (DNS-sized) ones, some full-size
// ones, with a fixed header and a payload of limited entropy, so that it
// compresses about as well as real traffic.
func benchFrame(rng *rand.Rand) []byte {
	n := 60 + rng.IntN(240)
	if rng.IntN(10) < 3 {
		n = 1000 + rng.IntN(515)
	}

	frame := make([]byte, n)
	copy(frame, "\x00\x1b\x21\x3a\x4c\x5d\x00\x1c\x22\x3b\x4d\x5e\x08\x00\x45\x00")
	for i := 16; i < n; i++ {
		frame[i] = "abcdefghijklmnopqrstuvwxyz0123456789.-"[rng.IntN(38)]
	}
	return frame
}

// BenchmarkRead reads captures held in memory. Throughput is in bytes of the
// uncompressed capture per second, whatever the compression.
func BenchmarkRead(b *testing.B) {
	captures := benchCaptures()
	for _, name := range []string{"pcap", "pcapng", "pcap.gz", "pcapng.gz", "pcap.zst",
		"pcapng.zst"} {
		b.Run(name, func(b *testing.B) {
			stored := captures[name]
			b.SetBytes(int64(len(captures[name[:len(name)-len(ext(name))]])))
			b.ReportAllocs()
			for b.Loop() {
				r := NewReader(bytes.NewReader(stored), name)
				for r.Next() {
				}
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
		})
	}
}

// ext returns the compression extension of a capture name, "" if none.
func ext(name string) string {
	for _, e := range []string{".gz", ".zst"} {
		if len(name) > len(e) && name[len(name)-len(e):] == e {
			return e
		}
	}
	return ""
}

// BenchmarkHash is the ceiling of BenchmarkRead/pcap: reading and hashing the
// file with no parsing.
func BenchmarkHash(b *testing.B) {
	stored := benchCaptures()["pcap"]
	buf := make([]byte, bufSize)
	b.SetBytes(int64(len(stored)))
	b.ReportAllocs()
	for b.Loop() {
		if err := newSource(bytes.NewReader(stored)).drain(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGunzip compares the gzip decompressors of the standard library and
// of klauspost/compress, the one pcapread uses.
func BenchmarkGunzip(b *testing.B) {
	captures := benchCaptures()
	stored := captures["pcap.gz"]
	newReaders := map[string]func(io.Reader) (io.Reader, error){
		"stdlib": func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) },
		"klauspost": func(r io.Reader) (io.Reader, error) {
			return gzip.NewReader(r)
		},
	}
	for _, name := range []string{"stdlib", "klauspost"} {
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, bufSize)
			b.SetBytes(int64(len(captures["pcap"])))
			b.ReportAllocs()
			for b.Loop() {
				zr, err := newReaders[name](bytes.NewReader(stored))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{zr}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

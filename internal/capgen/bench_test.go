package capgen

import (
	"bytes"
	"io"
	"testing"
)

// TestResolverBenchTruth decodes a small resolver capture independently
// and compares the counts with the truth the generator claims.
func TestResolverBenchTruth(t *testing.T) {
	var buf bytes.Buffer
	want, err := WriteResolverBench(&buf, BenchOptions{Seed: 7, Pairs: 6000})
	if err != nil {
		t.Fatal(err)
	}
	stats := checkBenchTruth(t, buf.Bytes(), want)
	if want.Lookups() != 6000 {
		t.Errorf("lookups %d, want 6000", want.Lookups())
	}
	if want.Malformed == 0 || want.Unanswered == 0 || stats.tcp == 0 || stats.reassembled == 0 {
		t.Errorf("capture lacks a malformed payload, an unanswered query, TCP or fragments: "+
			"%+v %+v", want.Truth, stats)
	}
}

// TestGatewayBenchTruth decodes a small gateway capture independently and
// checks its DNS counts and the DNS share of the bytes.
func TestGatewayBenchTruth(t *testing.T) {
	var buf bytes.Buffer
	want, err := WriteGatewayBench(&buf, BenchOptions{Seed: 3, Bytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	checkBenchTruth(t, buf.Bytes(), want)
	if want.Size < 8<<20 || want.Size > 9<<20 {
		t.Errorf("size %d, want about %d", want.Size, 8<<20)
	}
	if share := float64(want.DNSBytes) / float64(want.Size); share < 0.015 || share > 0.06 {
		t.Errorf("DNS is %.1f%% of the bytes, want about 3%%", 100*share)
	}
}

// checkBenchTruth compares claimed counts with an independent decode and
// returns how the DNS payloads were carried.
func checkBenchTruth(t *testing.T, capture []byte, want BenchTruth) refStats {
	t.Helper()
	if int64(len(capture)) != want.FileSize {
		t.Errorf("wrote %d bytes, truth says %d", len(capture), want.FileSize)
	}
	got, stats, err := refCountStats([][]byte{capture}, nil)
	if err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	if !truthEqual(got, want.Truth) {
		t.Errorf("read back %+v\nclaimed   %+v", got, want.Truth)
	}
	return stats
}

// TestResolverBenchCompressed checks that a compressed capture holds the
// same frames as the plain one.
func TestResolverBenchCompressed(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd} {
		var plain, packed bytes.Buffer
		want, err := WriteResolverBench(&plain, BenchOptions{Seed: 5, Pairs: 300})
		if err != nil {
			t.Fatal(err)
		}
		got, err := WriteResolverBench(&packed, BenchOptions{Seed: 5, Pairs: 300, Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := refDecompress(packed.Bytes())
		if err != nil || !bytes.Equal(raw, plain.Bytes()) {
			t.Errorf("%s: decompressed capture differs from the plain one (%v)", c, err)
		}
		if got.FileSize != int64(packed.Len()) || got.Size != want.Size || got.FileSize >= got.Size {
			t.Errorf("%s: file size %d of %d, capture %d of %d", c, got.FileSize, packed.Len(),
				got.Size, want.Size)
		}
	}
}

// TestBenchDeterministic checks that a seed gives the same bytes and that
// another seed does not.
func TestBenchDeterministic(t *testing.T) {
	write := func(seed uint64) []byte {
		var buf bytes.Buffer
		if _, err := WriteResolverBench(&buf, BenchOptions{Seed: seed, Pairs: 500}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b, c := write(11), write(11), write(12)
	if !bytes.Equal(a, b) {
		t.Errorf("seed 11 gave different captures")
	}
	if bytes.Equal(a, c) {
		t.Errorf("seeds 11 and 12 gave the same capture")
	}
}

// TestBulkFrameAllocs checks that bulk frames reuse their buffers.
func TestBulkFrameAllocs(t *testing.T) {
	b := newBulkTraffic(1, benchStart, 100)
	for range 100 {
		b.frame()
	}
	if n := testing.AllocsPerRun(1000, func() { b.frame() }); n != 0 {
		t.Errorf("bulk frame allocates %v times, want 0", n)
	}
}

// BenchmarkGatewayBench measures writing gateway captures.
func BenchmarkGatewayBench(b *testing.B) {
	b.ReportAllocs()
	const size = 64 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, err := WriteGatewayBench(io.Discard, BenchOptions{Seed: 1, Bytes: size}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolverBench measures writing resolver captures.
func BenchmarkResolverBench(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteResolverBench(io.Discard, BenchOptions{Seed: 1, Pairs: 20000}); err != nil {
			b.Fatal(err)
		}
	}
}

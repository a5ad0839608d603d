package pcapread

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	le order = binary.LittleEndian
	be order = binary.BigEndian
)

// compareFrames reports the differences between the frames read and those
// wanted.
func compareFrames(t *testing.T, got, want []gotFrame) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d frames, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		switch {
		case g.Number != w.Number:
			t.Errorf("frame %d: got number %d, want %d", i, g.Number, w.Number)
		case !g.Time.Equal(w.Time) || g.Time.Location() != time.UTC:
			t.Errorf("frame %d: got time %v, want %v UTC", g.Number, g.Time, w.Time)
		case g.LinkType != w.LinkType:
			t.Errorf("frame %d: got link type %d, want %d", g.Number, g.LinkType, w.LinkType)
		case g.OrigLen != w.OrigLen:
			t.Errorf("frame %d: got orig len %d, want %d", g.Number, g.OrigLen, w.OrigLen)
		case !bytes.Equal(g.Data, w.Data):
			t.Errorf("frame %d: got %d data bytes % x, want %d % x",
				g.Number, len(g.Data), g.Data[:min(len(g.Data), 16)],
				len(w.Data), w.Data[:min(len(w.Data), 16)])
		}
	}
}

// checkStored checks that Info covers exactly the bytes stored.
func checkStored(t *testing.T, r *Reader, stored []byte) {
	t.Helper()
	info := r.Info()
	if info.Size != int64(len(stored)) || r.BytesRead() != int64(len(stored)) {
		t.Errorf("got size %d (bytes read %d), want %d", info.Size, r.BytesRead(), len(stored))
	}
	if want := sha256.Sum256(stored); info.SHA256 != want {
		t.Errorf("got SHA-256 %x, want %x", info.SHA256, want)
	}
}

// pcapCase returns a classic pcap capture with the given magic number and
// byte order, and the frames it holds.
func pcapCase(o order, magic uint32) ([]byte, []gotFrame) {
	nano := magic == magicPcapNano
	frac := func(us uint32) uint32 {
		if nano {
			return us * 1000
		}
		return us
	}

	recs := []pcapRecord{
		{sec: 1_700_000_000, frac: frac(123_456) + 7*boolInt(nano), data: payload(1, 60)},
		{sec: 0xffff_ffff, frac: frac(999_999), data: payload(2, 1514)}, // 2106
		{sec: 10, frac: frac(1_500_000), data: payload(3, 60), origLen: 40},
		{sec: 11, data: nil},
	}
	want := []gotFrame{
		{1, time.Unix(1_700_000_000, 123_456_000+7*int64(boolInt(nano))), 1, recs[0].data, 60},
		{2, time.Unix(0xffff_ffff, 999_999_000), 1, recs[1].data, 1514},
		{3, time.Unix(11, 500_000_000), 1, recs[2].data, 40},
		{4, time.Unix(11, 0), 1, nil, 0},
	}
	// The link type field carries FCS information in its upper bits.
	return encodePcap(o, magic, 1|1<<26|4<<28, 65535, recs...), want
}

func boolInt(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func TestPcap(t *testing.T) {
	tests := []struct {
		name       string
		order      order
		magic      uint32
		wantFormat Format
	}{
		{"micro little-endian", le, magicPcapMicro, FormatPcap},
		{"micro big-endian", be, magicPcapMicro, FormatPcap},
		{"nano little-endian", le, magicPcapNano, FormatPcapNS},
		{"nano big-endian", be, magicPcapNano, FormatPcapNS},
		{"modified little-endian", le, magicPcapModified, FormatPcap},
		{"modified big-endian", be, magicPcapModified, FormatPcap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture, want := pcapCase(tt.order, tt.magic)
			got, r := readAll(capture, bufSize)
			if err := r.Err(); err != nil {
				t.Fatalf("got error %v", err)
			}

			compareFrames(t, got, want)
			checkStored(t, r, capture)
			info := r.Info()
			if info.Format != tt.wantFormat || info.Compression != CompressionNone {
				t.Errorf("got format %q, compression %q, want %q, none",
					info.Format, info.Compression, tt.wantFormat)
			}
			if !slices.Equal(info.LinkTypes, []LinkType{1}) {
				t.Errorf("got link types %v, want [1]", info.LinkTypes)
			}
			if info.Frames != 4 || !info.First.Equal(want[0].Time) ||
				!info.Last.Equal(want[3].Time) {
				t.Errorf("got %d frames from %v to %v, want 4 from %v to %v",
					info.Frames, info.First, info.Last, want[0].Time, want[3].Time)
			}
		})
	}
}

func TestPcapLargeSnaplen(t *testing.T) {
	big := payload(9, 300_000)
	tests := []struct {
		name    string
		snaplen uint32
		wantErr error
	}{
		{"snaplen allows it", 1 << 20, nil},
		{"default limit", 65535, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capture := encodePcap(le, magicPcapMicro, 1, tt.snaplen,
				pcapRecord{sec: 1, data: big})
			got, r := readAll(capture, bufSize)
			if !errors.Is(r.Err(), tt.wantErr) {
				t.Fatalf("got error %v, want %v", r.Err(), tt.wantErr)
			}
			if tt.wantErr == nil {
				compareFrames(t, got, []gotFrame{{1, time.Unix(1, 0), 1, big, len(big)}})
			}
		})
	}
}

// ngCase returns a pcapng capture of two sections in different byte
// orders, with interfaces of several link types and timestamp resolutions,
// blocks to skip, and every kind of packet block; and the frames it holds.
func ngCase() ([]byte, []gotFrame) {
	w := &ngWriter{}
	w.section(le).
		iface(1, 0).
		iface(113, 262144, w.tsresol(9), w.tsoffset(0)).
		block(4, []byte{1, 0, 4, 0, 10, 0, 0, 1, 0, 0, 0, 0}). // name resolution
		block(0xbad, payload(0, 37)).                          // custom
		epb(0, 1_700_000_000_123_456, payload(1, 60), 60).
		epb(1, 1_700_000_000_123_456_789, payload(2, 61), 1514).
		block(5, payload(0, 20)). // interface statistics
		spb(payload(3, 42), 42).
		pb(1, 4_294_967_296_000_000_005, payload(4, 98), 98) // 2106, past uint32 seconds

	w.section(be).
		iface(101, 8, w.tsresol(0x88), w.tsoffset(100)).
		iface(1, 0, w.tsresol(6)).
		epb(0, 1_700_000_000<<8|128, payload(5, 8), 8).
		epb(1, 4_354_819_200_000_001, payload(6, 1), 1). // 2107-12-31
		spb(payload(7, 12), 20)                          // cut to the snaplen, 8

	want := []gotFrame{
		{1, time.Unix(1_700_000_000, 123_456_000), 1, payload(1, 60), 60},
		{2, time.Unix(1_700_000_000, 123_456_789), 113, payload(2, 61), 1514},
		{3, time.Unix(1_700_000_000, 123_456_789), 1, payload(3, 42), 42},
		{4, time.Unix(4_294_967_296, 5), 113, payload(4, 98), 98},
		{5, time.Unix(1_700_000_100, 500_000_000), 101, payload(5, 8), 8},
		{6, time.Unix(4_354_819_200, 1000), 1, payload(6, 1), 1},
		{7, time.Unix(4_354_819_200, 1000), 101, payload(7, 8), 20},
	}
	return w.b, want
}

func TestPcapNG(t *testing.T) {
	capture, want := ngCase()
	got, r := readAll(capture, bufSize)
	if err := r.Err(); err != nil {
		t.Fatalf("got error %v", err)
	}

	compareFrames(t, got, want)
	checkStored(t, r, capture)
	info := r.Info()
	if info.Format != FormatPcapNG {
		t.Errorf("got format %q, want %q", info.Format, FormatPcapNG)
	}
	if wantLinks := []LinkType{1, 113, 101}; !slices.Equal(info.LinkTypes, wantLinks) {
		t.Errorf("got link types %v, want %v", info.LinkTypes, wantLinks)
	}
}

func TestTimestampResolutions(t *testing.T) {
	tests := []struct {
		resol byte
		ts    uint64
		want  time.Time
	}{
		{0, 1_700_000_000, time.Unix(1_700_000_000, 0)},
		{3, 1_700_000_000_250, time.Unix(1_700_000_000, 250_000_000)},
		{6, 1_700_000_000_000_001, time.Unix(1_700_000_000, 1000)},
		{9, 18_446_744_073_709_551_615, time.Unix(18_446_744_073, 709_551_615)},
		{12, 1_700_000_000_000_001_999, time.Unix(1_700_000, 1)},
		{19, 1<<64 - 1, time.Unix(1, 844_674_407)},
		{0x80, 1<<64 - 1, time.Unix(maxSeconds, 0)},
		{0x8a, 1_700_000_000<<10 | 512, time.Unix(1_700_000_000, 500_000_000)},
		{0x9e, 1 << 30, time.Unix(1, 0)},
		{0xbf, 1<<63 | 1<<62, time.Unix(1, 500_000_000)},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			w := &ngWriter{}
			w.section(le).iface(1, 0, w.tsresol(tt.resol)).epb(0, tt.ts, nil, 0)
			got, r := readAll(w.b, bufSize)
			if err := r.Err(); err != nil || len(got) != 1 {
				t.Fatalf("got %d frames, error %v; want 1 frame", len(got), err)
			}
			if !got[0].Time.Equal(tt.want) {
				t.Errorf("if_tsresol %#x, timestamp %d: got %v, want %v",
					tt.resol, tt.ts, got[0].Time, tt.want)
			}
		})
	}
}

func TestCompressed(t *testing.T) {
	plainPcap, wantPcap := pcapCase(le, magicPcapNano)
	plainNG, wantNG := ngCase()
	half := len(plainPcap) / 2
	tests := []struct {
		name       string
		stored     []byte
		want       []gotFrame
		wantFormat Format
		wantComp   Compression
	}{
		{"gzip pcap", gzipped(plainPcap), wantPcap, FormatPcapNS, CompressionGzip},
		{"gzip pcapng", gzipped(plainNG), wantNG, FormatPcapNG, CompressionGzip},
		{"gzip two members",
			append(gzipped(plainPcap[:half]), gzipped(plainPcap[half:])...),
			wantPcap, FormatPcapNS, CompressionGzip},
		{"zstd pcap", zstded(plainPcap), wantPcap, FormatPcapNS, CompressionZstd},
		{"zstd pcapng", zstded(plainNG), wantNG, FormatPcapNG, CompressionZstd},
		{"zstd window of 128 MiB", zstdRawFrame(0x88, plainPcap), wantPcap, FormatPcapNS,
			CompressionZstd},
		{"zstd two frames",
			append(zstded(plainNG[:100]), zstded(plainNG[100:])...),
			wantNG, FormatPcapNG, CompressionZstd},
	}
	for _, tt := range tests {
		for _, size := range []int{bufSize, 64} {
			t.Run(tt.name, func(t *testing.T) {
				got, r := readAll(tt.stored, size)
				if err := r.Err(); err != nil {
					t.Fatalf("got error %v", err)
				}

				compareFrames(t, got, tt.want)
				checkStored(t, r, tt.stored)
				info := r.Info()
				if info.Format != tt.wantFormat || info.Compression != tt.wantComp {
					t.Errorf("got format %q, compression %q, want %q, %q",
						info.Format, info.Compression, tt.wantFormat, tt.wantComp)
				}
			})
		}
	}
}

func TestNotCapture(t *testing.T) {
	tests := []struct {
		name       string
		stored     []byte
		wantDetail string
	}{
		{"text", []byte("hello, world\n"), "unknown magic number 68 65 6c 6c (looks like text)"},
		{"binary", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, "unknown magic number 00 01 02 03"},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, 0xe6},
			"xz-compressed; decompress it first"},
		{"lz4", []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7}, "lz4-compressed"},
		{"bzip2", []byte("BZh91AY&SY"), "bzip2-compressed"},
		{"zip", []byte("PK\x03\x04\x14\x00"), "zip-compressed"},
		{"empty", nil, "file is empty"},
		{"three bytes", []byte("abc"), "file is only 3 bytes"},
		{"gzip text", gzipped([]byte("hello, world\n")), "inside gzip: unknown magic number"},
		{"gzip empty", gzipped(nil), "gzip-compressed data is empty"},
		{"zstd xz", zstded([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 1}), "inside zstd: xz-compressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := readAll(tt.stored, bufSize)
			var fe *FormatError
			if !errors.As(r.Err(), &fe) || !errors.Is(fe, ErrNotCapture) {
				t.Fatalf("got error %v, want a FormatError for ErrNotCapture", r.Err())
			}
			if len(got) != 0 || fe.Frame != 0 || fe.Offset != 0 {
				t.Errorf("got %d frames, error at frame %d offset %d; want none at 0, 0",
					len(got), fe.Frame, fe.Offset)
			}
			if !strings.Contains(fe.Detail, tt.wantDetail) {
				t.Errorf("got detail %q, want it to contain %q", fe.Detail, tt.wantDetail)
			}
			checkStored(t, r, tt.stored)
		})
	}
}

// damageCase is a damaged capture, and what reading it must give.
type damageCase struct {
	name       string
	stored     []byte
	wantFrames int
	wantErr    error
	wantFrame  int64 // frame number in the error
	wantOffset int64 // -1: the offset of frame wantFrame in want
	wantDetail string
}

// damageCases returns damaged captures built from a three-frame pcap and a
// pcapng capture.
func damageCases() []damageCase {
	recs := []pcapRecord{
		{sec: 1, data: payload(1, 100)},
		{sec: 2, data: payload(2, 100)},
		{sec: 3, data: payload(3, 100)},
	}
	good := encodePcap(le, magicPcapMicro, 1, 65535, recs...) // records at 24, 140, 256
	absurd := slices.Clone(good)
	le.PutUint32(absurd[140+8:], 0x7fff_ffff)

	ng := func(edit func(w *ngWriter)) []byte {
		w := &ngWriter{}
		w.section(le).iface(1, 0).epb(0, 1e6, payload(1, 50), 50)
		edit(w)
		return w.b
	}
	shbLen := len((&ngWriter{}).section(le).b)
	first := len((&ngWriter{}).section(le).iface(1, 0).b) // the first frame's block
	second := first + 96                                  // the block after it
	badLength := func(n uint32) []byte {
		return ng(func(w *ngWriter) {
			w.epb(0, 2e6, payload(2, 50), 50).epb(0, 3e6, payload(3, 50), 50)
			le.PutUint32(w.b[second+4:], n)
		})
	}
	var many []pcapRecord // large enough for several compressed blocks
	for i := range 5000 {
		many = append(many, pcapRecord{sec: uint32(i), data: payload(i*i, 100)})
	}
	manyPcap := encodePcap(le, magicPcapMicro, 1, 65535, many...)
	gz, zs := gzipped(good), zstded(good)
	gzMany, zsMany := gzipped(manyPcap), zstded(manyPcap)

	return []damageCase{
		{"pcap cut in record data", good[:256+16+40], 2, ErrTruncated, 3, 256,
			"record needs 100 bytes, 40 left"},
		{"pcap cut in record header", good[:256+5], 2, ErrTruncated, 3, 256,
			"record header needs 16 bytes, 5 left"},
		{"pcap cut in file header", good[:10], 0, ErrTruncated, 0, 0,
			"file header needs 24 bytes, 10 left"},
		{"pcap absurd caplen", absurd, 1, ErrCorrupt, 2, 140,
			"record claims 2147483647 bytes (limit 262144)"},
		{"pcapng cut in block", ng(func(w *ngWriter) {})[:second-10], 0, ErrTruncated, 1,
			int64(first), "enhanced packet block needs 96 bytes, 86 left"},
		{"pcapng cut in block header", ng(func(w *ngWriter) { w.b = append(w.b, 6, 0) }), 1,
			ErrTruncated, 2, int64(second), "block header needs 8 bytes, 2 left"},
		{"pcapng length not a multiple of 4", badLength(94), 1, ErrCorrupt, 2, int64(second),
			"enhanced packet block has bad length 94"},
		{"pcapng length below 12", badLength(8), 1, ErrCorrupt, 2, int64(second),
			"enhanced packet block has bad length 8"},
		{"pcapng absurd length", badLength(0xffff_fff0), 1, ErrCorrupt, 2, int64(second),
			"enhanced packet block claims 4294967280 bytes"},
		{"pcapng length longer than block", badLength(100), 1, ErrCorrupt, 2, int64(second),
			"enhanced packet block of 100 bytes ends with length 6"},
		{"pcapng trailer mismatch", ng(func(w *ngWriter) {
			w.epb(0, 2e6, payload(2, 50), 50)
			le.PutUint32(w.b[len(w.b)-4:], 100)
		}), 1, ErrCorrupt, 2, int64(second),
			"enhanced packet block of 96 bytes ends with length 100"},
		{"pcapng skipped block trailer mismatch", ng(func(w *ngWriter) {
			w.block(0xbad, payload(0, 200))
			le.PutUint32(w.b[len(w.b)-4:], 16)
		}), 1, ErrCorrupt, 2, int64(second),
			"block of type 0xbad of 212 bytes ends with length 16"},
		{"pcapng skipped block cut", ng(func(w *ngWriter) {
			w.block(5, payload(0, 200))
			w.b = w.b[:len(w.b)-100]
		}), 1, ErrTruncated, 2, int64(second), "block of type 0x5 needs 212 bytes, 112 left"},
		{"pcapng interface out of range", ng(func(w *ngWriter) {
			w.epb(1, 2e6, payload(2, 50), 50)
		}), 1, ErrCorrupt, 2, int64(second), "frame on interface 1, but the section has 1"},
		{"pcapng frame longer than block", ng(func(w *ngWriter) {
			w.epb(0, 2e6, payload(2, 50), 50)
			le.PutUint32(w.b[second+20:], 65)
		}), 1, ErrCorrupt, 2, int64(second), "frame claims 65 bytes, block holds 64"},
		{"pcapng bad byte-order magic", ng(func(w *ngWriter) {
			w.section(le)
			le.PutUint32(w.b[second+8:], 0x12345678)
		}), 1, ErrCorrupt, 2, int64(second), "bad byte-order magic 0x12345678"},
		{"pcapng version 2", ng(func(w *ngWriter) {
			w.section(be).iface(1, 0).epb(0, 1, nil, 0)
			be.PutUint16(w.b[second+12:], 2)
		}), 1, ErrCorrupt, 2, int64(second), "pcapng version 2.0 not supported"},
		{"pcapng frame before interface", ng(func(w *ngWriter) {
			w.section(be).spb(payload(2, 4), 4)
		}), 1, ErrCorrupt, 2, int64(second + shbLen), "simple packet block before any interface"},
		{"pcapng first section cut", ng(func(w *ngWriter) {})[:20], 0, ErrTruncated, 0, 0,
			"section header block needs 52 bytes, 20 left"},
		{"pcapng bad resolution", ng(func(w *ngWriter) {
			w.iface(1, 0, w.tsresol(20))
		}), 1, ErrCorrupt, 2, int64(second), "interface 1: if_tsresol 0x14 not supported"},
		{"gzip cut", gzMany[:len(gzMany)/2], -1, ErrTruncated, -1, -1, "gzip stream cut short"},
		{"gzip bad checksum", flipByte(gz, -6), 3, ErrCorrupt, 4, 372,
			"gzip data damaged (gzip: invalid checksum)"},
		{"gzip bad header", flipByte(gz, 2), 0, ErrCorrupt, 0, 0,
			"gzip data damaged"},
		{"zstd cut", zsMany[:len(zsMany)/2], -1, ErrTruncated, -1, -1,
			"zstd stream cut short"},
		{"zstd cut in checksum", zs[:len(zs)-2], 0, ErrTruncated, 0, 0,
			"zstd stream cut short"},
		{"gzip trailing zeros", append(slices.Clone(gz), 0, 0, 0, 0), 3, ErrTruncated, 4, 372,
			"gzip stream cut short: record header needs 16 bytes, 0 left"},
		{"gzip trailing garbage", append(slices.Clone(gz), payload(1, 20)...), 3, ErrCorrupt, 4,
			372, "gzip data damaged (gzip: invalid header)"},
		{"zstd window above 128 MiB", zstdRawFrame(0x90, good), 0, ErrCorrupt, 0, 0,
			"zstd data damaged (window size exceeded)"},
		{"gzip of a cut capture", gzipped(good[:256+16+40]), 2, ErrTruncated, 3, 256,
			"record needs 100 bytes, 40 left"},
	}
}

// zstdRawFrame returns a zstd frame with the given window descriptor that
// holds data in one raw block.
func zstdRawFrame(window byte, data []byte) []byte {
	block := uint32(len(data))<<3 | 1 // raw, last
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0, window, byte(block), byte(block >> 8),
		byte(block >> 16)}
	return append(b, data...)
}

// flipByte returns a copy of b with the byte at i (from the end if i < 0)
// inverted.
func flipByte(b []byte, i int) []byte {
	b = slices.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0xff
	return b
}

func TestDamage(t *testing.T) {
	for _, tt := range damageCases() {
		for _, size := range []int{bufSize, 64} {
			t.Run(tt.name, func(t *testing.T) {
				got, r := readAll(tt.stored, size)
				var fe *FormatError
				if !errors.As(r.Err(), &fe) || !errors.Is(fe, tt.wantErr) {
					t.Fatalf("got error %v, want a FormatError for %v", r.Err(), tt.wantErr)
				}
				checkDamage(t, tt, got, fe)
				checkStored(t, r, tt.stored)
			})
		}
	}
}

// checkDamage checks the frames kept and the position of the error.
func checkDamage(t *testing.T, tt damageCase, got []gotFrame, fe *FormatError) {
	t.Helper()
	wantFrames, wantFrame, wantOffset := tt.wantFrames, tt.wantFrame, tt.wantOffset
	if wantFrames < 0 { // cut at a place that depends on the compressor
		wantFrames, wantFrame = len(got), int64(len(got)+1)
		wantOffset = int64(24 + 116*len(got))
	}

	if len(got) != wantFrames {
		t.Errorf("got %d frames before the error, want %d", len(got), wantFrames)
	}
	for i, f := range got {
		if f.Number != int64(i+1) || len(f.Data) != 100 && len(f.Data) != 50 {
			t.Errorf("frame %d: got number %d with %d bytes", i, f.Number, len(f.Data))
		}
	}
	if fe.Frame != wantFrame || fe.Offset != wantOffset {
		t.Errorf("got error at frame %d offset %d, want frame %d offset %d",
			fe.Frame, fe.Offset, wantFrame, wantOffset)
	}
	if fe.File != "test.pcap" || !strings.Contains(fe.Detail, tt.wantDetail) {
		t.Errorf("got file %q, detail %q; want test.pcap and a detail containing %q",
			fe.File, fe.Detail, tt.wantDetail)
	}
}

func TestErrorText(t *testing.T) {
	_, r := readAll(damageCases()[0].stored, bufSize)
	want := "pcapread: test.pcap: frame 3 (offset 0x100): record needs 100 bytes, " +
		"40 left: capture cut short"
	if got := r.Err().Error(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestBufferSizes reads captures whose records straddle the end of the
// buffer, or are larger than it, with buffers of several sizes.
func TestBufferSizes(t *testing.T) {
	var recs []pcapRecord
	for i := range 200 {
		recs = append(recs, pcapRecord{sec: uint32(i), data: payload(i, i*37%1600)})
	}
	pcap := encodePcap(be, magicPcapMicro, 1, 65535, recs...)
	want, _ := readAll(pcap, bufSize)

	w := &ngWriter{}
	w.section(le).iface(1, 0)
	for i, rec := range recs {
		w.block(0xbad, payload(i, i*53%3000)).epb(0, uint64(rec.sec)*1e6, rec.data,
			uint32(len(rec.data)))
	}

	for _, size := range []int{1, 16, 64, 1000, 4096, 70_000} {
		for _, capture := range [][]byte{pcap, w.b, gzipped(w.b)} {
			got, r := readAll(capture, size)
			if err := r.Err(); err != nil {
				t.Fatalf("buffer of %d bytes: got error %v", size, err)
			}
			compareFrames(t, got, want)
			checkStored(t, r, capture)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	capture, want := pcapCase(be, magicPcapNano)
	path := filepath.Join(dir, "ok.pcap")
	if err := os.WriteFile(path, capture[:len(capture)-1], 0o644); err != nil {
		t.Fatal(err)
	}

	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	n := 0
	for r.Next() {
		n++
	}
	if n != len(want)-1 || !errors.Is(r.Err(), ErrTruncated) ||
		!strings.Contains(r.Err().Error(), path+": frame 4 ") {
		t.Errorf("got %d frames and error %v, want %d and frame 4 of %s truncated",
			n, r.Err(), len(want)-1, path)
	}
	checkStored(t, r, capture[:len(capture)-1])
	if err := r.Close(); err != nil || r.Next() {
		t.Errorf("Close: %v, then Next is true", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	for _, bad := range []string{filepath.Join(dir, "missing.pcap"), dir} {
		if r, err := Open(bad); err == nil || !strings.Contains(err.Error(), bad) ||
			!strings.HasPrefix(err.Error(), "pcapread: ") {
			t.Errorf("Open(%q): got %v, %v; want an error naming it", bad, r, err)
		}
	}
}

// TestBytesReadConcurrent reads BytesRead from another goroutine, for the
// race detector.
func TestBytesReadConcurrent(t *testing.T) {
	capture, _ := pcapCase(le, magicPcapMicro)
	r := newReader(bytes.NewReader(capture), "test.pcap", 16)
	done := make(chan int64)
	go func() {
		var last int64
		for range 1000 {
			last = max(last, r.BytesRead())
		}
		done <- last
	}()

	for r.Next() {
	}
	if last := <-done; last > int64(len(capture)) {
		t.Errorf("BytesRead reported %d, more than the %d stored", last, len(capture))
	}
}

func TestNextDoesNotAllocate(t *testing.T) {
	var recs []pcapRecord
	w := &ngWriter{}
	w.section(le).iface(1, 0).iface(113, 0, w.tsresol(9))
	for i := range 20_000 {
		data := payload(i, 60+i%1400)
		recs = append(recs, pcapRecord{sec: uint32(i), data: data})
		w.epb(uint32(i%2), uint64(i)*1e9, data, uint32(len(data)))
	}

	captures := map[string][]byte{
		"pcap":   encodePcap(le, magicPcapNano, 1, 65535, recs...),
		"pcapng": w.b,
	}
	for name, capture := range captures {
		t.Run(name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(capture), name)
			allocs := testing.AllocsPerRun(10, func() {
				for range 1000 {
					if !r.Next() {
						t.Fatalf("capture ended early: %v", r.Err())
					}
				}
			})
			if allocs != 0 {
				t.Errorf("got %v allocations per 1000 frames, want 0", allocs)
			}
		})
	}
}

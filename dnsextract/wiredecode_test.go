package dnsextract

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pdnsx/internal/corpus"
	"pdnsx/pcapread"
)

// udpPayloads returns the payloads of the UDP datagrams to or from DNS ports
// in the captures matched by the glob patterns.
func udpPayloads(t testing.TB, patterns ...string) [][]byte {
	t.Helper()
	var payloads [][]byte
	d := newFrameDecoder()
	var p packet
	for _, pattern := range patterns {
		paths, _ := filepath.Glob(pattern)
		for _, path := range paths {
			r, err := pcapread.Open(path)
			if err != nil {
				continue
			}
			for r.Next() {
				if _, ok := d.decode(r.Frame(), &p); !ok || p.transport != UDP {
					continue
				}
				if dnsPort(p.src.Port()) || dnsPort(p.dst.Port()) {
					payloads = append(payloads, append([]byte(nil), p.payload...))
				}
			}
			r.Close()
		}
	}
	return payloads
}

func dnsPort(p uint16) bool { return p == portDNS || p == portMDNS || p == portLLMNR }

// sharedCorpus returns the shared corpus of real captures, or "" when it is
// absent.
func sharedCorpus() string {
	dir, _ := corpus.Dir()
	return dir
}

// TestWireMatchesReference checks the wire decoder against miekg/dns on every
// DNS payload of the testdata captures and, when present, the shared corpus.
func TestWireMatchesReference(t *testing.T) {
	patterns := []string{filepath.Join("..", "testdata", "captures", "*"),
		filepath.Join("..", "testdata", "demo.pcap")}
	if dir := sharedCorpus(); dir != "" {
		patterns = append(patterns, filepath.Join(dir, "*", "*"), filepath.Join(dir, "*", "*", "*"),
			filepath.Join(dir, "*", "*", "*", "*", "*"))
	} else {
		t.Log("../shared/corpus is absent: checking testdata only")
	}
	payloads := udpPayloads(t, patterns...)
	if len(payloads) < 100 {
		t.Fatalf("only %d payloads found", len(payloads))
	}
	d := newWireDecoder()
	for _, payload := range payloads {
		compareWithReference(t, d, payload)
	}
}

// compareWithReference fails t when the wire decoder and miekg/dns disagree
// on payload. They may disagree on which payloads are malformed only where the
// wire decoder is stricter (header counts that promise records which are not
// there) or keeps more (the records before a damaged one).
func compareWithReference(t *testing.T, d *wireDecoder, payload []byte) {
	t.Helper()
	got, gerr := d.decode(payload)
	want, werr := referenceDecode(payload)
	switch {
	case werr == nil && gerr != nil:
		if !errors.Is(gerr, errTruncated) {
			t.Errorf("payload %x: wire decoder failed (%v), miekg/dns did not", payload, gerr)
		}
		return
	case werr != nil && gerr == nil:
		if !ednsOption(werr) {
			t.Errorf("payload %x: miekg/dns failed (%v), wire decoder did not", payload, werr)
		}
		return
	case werr != nil:
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("payload %x:\nwire:    %+v\nreference: %+v", payload, got, want)
	}
}

// ednsOption reports whether miekg/dns failed on an EDNS option, which the
// wire decoder deliberately tolerates: an odd option says nothing about the
// lookup.
func ednsOption(err error) bool {
	for _, s := range []string{"OPT", "EDNS0", "netmask", "address family"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// FuzzWireDecode checks that the wire decoder never panics, keeps at most one
// record per 11 bytes, and agrees with miekg/dns wherever both decode.
func FuzzWireDecode(f *testing.F) {
	for _, p := range udpPayloads(f, filepath.Join("..", "testdata", "captures", "*")) {
		f.Add(p)
	}
	d := newWireDecoder()
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, _ := d.decode(payload)
		if m != nil && len(m.Records) > len(payload)/11 {
			t.Fatalf("%d records from %d bytes", len(m.Records), len(payload))
		}
		compareWithReference(t, d, payload)
	})
}

func BenchmarkWireDecode(b *testing.B) {
	payloads := udpPayloads(b, filepath.Join("..", "testdata", "demo.pcap"))
	b.Run("wire", func(b *testing.B) {
		d := newWireDecoder()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			d.decode(payloads[i%len(payloads)])
		}
	})
	b.Run("miekg", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			referenceDecode(payloads[i%len(payloads)])
		}
	})
}

// TestLabelBytes checks that the wire decoder shows every byte of a label
// as miekg/dns does: alone, after plain bytes and before them, so that both
// the unescaped prefix appendLabel copies whole and the rest are covered.
func TestLabelBytes(t *testing.T) {
	d := newWireDecoder()
	for c := range 256 {
		for _, label := range [][]byte{{byte(c)}, {'a', 'b', byte(c)}, {byte(c), 'z', '-'}} {
			payload := []byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, byte(len(label))}
			payload = append(payload, label...)
			payload = append(payload, 0, 0, 1, 0, 1)
			compareWithReference(t, d, payload)
		}
	}
}

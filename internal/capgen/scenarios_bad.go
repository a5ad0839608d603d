package capgen

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/gzip"
)

// badScenarios are damaged or foreign inputs.
func badScenarios() []Scenario {
	return []Scenario{
		{Name: "header-only", File: "header-only.pcap",
			About: "a pcap file header and no records: complete, zero frames",
			run:   func(s *scene) { s.usePcap(PcapOptions{LinkType: LinkEthernet}) }},
		{Name: "not-a-capture", File: "not-a-capture.txt", run: notACapture,
			About: "a text file: not a capture"},
		{Name: "truncated", File: "truncated.pcap", run: sixFrames, damage: cutMidRecord,
			About: "classic pcap cut in the middle of the sixth record's data"},
		{Name: "absurd-caplen", File: "absurd-caplen.pcap", run: sixFrames, damage: absurdCaplen,
			About: "the fourth record header claims 0x7fffffff captured bytes"},
		{Name: "pcapng-bad-block-length", File: "pcapng-bad-block-length.pcapng",
			run:    sixFramesNg,
			damage: badBlockLength,
			About: "pcapng whose fourth packet block claims a length of 6 bytes " +
				"(under the 12-byte minimum, not a multiple of 4)"},
		{Name: "gzip-cut-short", File: "gzip-cut-short.pcap.gz", run: sixFrames,
			encode: gzipCutShort,
			About:  "gzip stream cut inside the sixth record (no gzip trailer)"},
	}
}

// notACapture writes a few lines of text.
func notACapture(s *scene) {
	s.buf.WriteString("This is not a packet capture.\nIt is a note someone saved as .txt.\n")
	s.truth.Status = StatusFailed
}

// sixFrames writes three lookups (six frames) into a classic pcap.
func sixFrames(s *scene) {
	s.usePcap(PcapOptions{LinkType: LinkEthernet})
	threeSingleLookups(s)
}

// sixFramesNg writes three lookups (six frames) into a pcapng.
func sixFramesNg(s *scene) {
	s.usePcapng(false, NgInterface{LinkType: LinkEthernet})
	threeSingleLookups(s)
}

// threeSingleLookups writes three lookups answered with one address each.
func threeSingleLookups(s *scene) {
	for i, name := range basicNames {
		s.lookupA(ethPath(), ap(client4, clientPort(i)), server, uint16(0x3300+i), name,
			"192.0.2."+itoa(210+i))
	}
}

// firstFrames is the truth of the first n frames of threeSingleLookups
// followed by damage of the given status.
func firstFrames(n int, status string) Truth {
	return Truth{
		Status: status, Frames: n, Messages: n,
		Answered: n / 2, Unanswered: n % 2, Records: n / 2,
	}
}

// cutMidRecord cuts the capture in the middle of the sixth frame's data.
func cutMidRecord(s *scene, capture []byte) []byte {
	s.truth = firstFrames(5, StatusTruncated)
	return capture[:s.offsets[5]+16+30]
}

// absurdCaplen sets the captured length of the fourth record to 0x7fffffff.
func absurdCaplen(s *scene, capture []byte) []byte {
	s.truth = firstFrames(3, StatusCorrupt)
	binary.LittleEndian.PutUint32(capture[s.offsets[3]+8:], 0x7fffffff)
	return capture
}

// badBlockLength sets the leading length of the fourth packet block to 6:
// not a multiple of 4, and shorter than any block can be.
func badBlockLength(s *scene, capture []byte) []byte {
	s.truth = firstFrames(3, StatusCorrupt)
	binary.LittleEndian.PutUint32(capture[s.offsets[3]+4:], 6)
	return capture
}

// gzipCutShort compresses the capture with a flush after the file header
// and after each record, so that every record before the cut can be
// decompressed, then cuts the stream halfway through the sixth record.
func gzipCutShort(s *scene, capture []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	bounds := append(append([]int(nil), s.offsets...), len(capture))
	var flushed []int
	start := 0
	for _, end := range bounds {
		if _, err := zw.Write(capture[start:end]); err != nil {
			return nil, err
		}
		if err := zw.Flush(); err != nil {
			return nil, err
		}
		flushed = append(flushed, out.Len())
		start = end
	}
	if len(flushed) != 7 {
		return nil, fmt.Errorf("gzip-cut-short: %d records, want 6", len(flushed)-1)
	}

	s.truth = firstFrames(5, StatusTruncated)
	cut := (flushed[5] + flushed[6]) / 2
	return out.Bytes()[:cut], nil
}

package dnsextract

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"pdnsx/pcapread"
)

// readFrames reads a capture into memory.
func readFrames(t *testing.T, path string) []pcapread.Frame {
	t.Helper()
	r, err := pcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var frames []pcapread.Frame
	for r.Next() {
		f := *r.Frame()
		f.Data = slices.Clone(f.Data)
		frames = append(frames, f)
	}
	return frames
}

// cut splits frames into consecutive pieces at the given frame indexes and
// numbers each piece's frames from 1, as files of a rotation would be.
func cut(frames []pcapread.Frame, at ...int) [][]pcapread.Frame {
	var pieces [][]pcapread.Frame
	start := 0
	for _, end := range append(at, len(frames)) {
		piece := slices.Clone(frames[start:end])
		for i := range piece {
			piece[i].Number = int64(i + 1)
		}
		pieces = append(pieces, piece)
		start = end
	}
	return pieces
}

// onePass runs one Extractor over all pieces in order.
func onePass(cfg Config, pieces [][]pcapread.Frame) (*collector, Stats) {
	c := &collector{}
	x := New(cfg, c)
	for i, piece := range pieces {
		for j := range piece {
			x.Frame(i, &piece[j])
		}
	}
	x.Close()
	s := x.Stats()
	s.Skipped = nil
	return c, s
}

// responseFirstAcrossCut reports whether a lookup pairs a response in one
// piece with a query in a later one: the case Carry leaves out.
func responseFirstAcrossCut(c *collector) bool {
	for _, l := range c.lookups {
		if l.Query != nil && l.Response != nil &&
			l.Response.Frames[0].Capture < l.Query.Frames[0].Capture {
			return true
		}
	}
	return false
}

// stitched runs one Extractor per piece and stitches their carries, given
// in the order order, in a fresh one; the collector gets everything.
func stitched(cfg Config, pieces [][]pcapread.Frame, order []int) (string, Stats, int) {
	c := &collector{}
	carries := make([]*Carry, len(pieces))
	var total Stats
	carried := 0
	for i, piece := range pieces {
		x := New(cfg, c)
		for j := range piece {
			x.Frame(i, &piece[j])
		}
		carries[i] = x.Carry()
		carried += carries[i].Len()
		total = addStats(total, x.Stats())
	}
	var ordered []*Carry
	for _, i := range order {
		ordered = append(ordered, carries[i])
	}
	x := New(cfg, c)
	x.Stitch(ordered...)
	x.Close()
	total = addStats(total, x.Stats())
	return canonical(c), total, carried
}

func addStats(a, b Stats) Stats {
	a.Skipped = nil
	a.Frames += b.Frames
	a.Messages += b.Messages
	a.Malformed += b.Malformed
	a.Lookups += b.Lookups
	a.Records += b.Records
	return a
}

// canonical renders what c collected in an order that does not depend on
// when things were reported: the lines of formatLookups, each lookup with
// its records, sorted.
func canonical(c *collector) string {
	var blocks []string
	for _, line := range strings.SplitAfter(formatLookups(c), "\n") {
		if strings.HasPrefix(line, "\t") && len(blocks) > 0 {
			blocks[len(blocks)-1] += line
			continue
		}
		if line != "" {
			blocks = append(blocks, line)
		}
	}
	sort.Strings(blocks)
	return strings.Join(blocks, "")
}

// equivalent checks that the pieces give the same lookups, malformed
// payloads and counts read in one pass or one Extractor per piece, the
// carries stitched in order and in reverse.
func equivalent(t *testing.T, what string, cfg Config, pieces [][]pcapread.Frame) {
	t.Helper()
	c, wantStats := onePass(cfg, pieces)
	want := canonical(c)
	order := make([]int, len(pieces))
	for i := range order {
		order[i] = i
	}
	reversed := slices.Clone(order)
	slices.Reverse(reversed)
	for _, o := range [][]int{order, reversed} {
		got, gotStats, _ := stitched(cfg, pieces, o)
		if got != want {
			t.Errorf("%s: carries stitched in order %v differ from one pass:\n"+
				"--- got\n%s--- want\n%s", what, o, got, want)
			return
		}
		if fmt.Sprint(gotStats) != fmt.Sprint(wantStats) {
			t.Errorf("%s: stats %+v, want %+v", what, gotStats, wantStats)
		}
	}
}

// equivalentUnlessResponseFirst is equivalent, except for the pieces where
// one pass pairs a response with a query of a later piece: the case left
// out, which TestCarryResponseFirst pins.
func equivalentUnlessResponseFirst(t *testing.T, what string, cfg Config,
	pieces [][]pcapread.Frame) {
	t.Helper()
	if c, _ := onePass(cfg, pieces); !responseFirstAcrossCut(c) {
		equivalent(t, what, cfg, pieces)
	}
}

// TestCarryEquivalence checks, for every test capture, that the rotated
// pairs and every single capture cut at every frame (and in three at every
// other frame) give through Carry and Stitch what one pass gives.
func TestCarryEquivalence(t *testing.T) {
	cfg := Config{Ports: []uint16{5300}}
	for name, paths := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			var pieces [][]pcapread.Frame
			for _, p := range paths {
				pieces = append(pieces, readFrames(t, p))
			}
			equivalent(t, "as given", cfg, pieces)
			if len(pieces) != 1 {
				return
			}
			frames := pieces[0]
			for k := 1; k < len(frames); k++ {
				equivalent(t, fmt.Sprintf("cut at %d", k), cfg, cut(frames, k))
				if k+2 < len(frames) {
					equivalent(t, fmt.Sprintf("cut at %d and %d", k, k+2), cfg,
						cut(frames, k, k+2))
				}
			}
		})
	}
}

// TestCarryPairs checks that a rotation pairs across the cut, and that a
// capture read alone keeps its edges: the first piece of tcp-rotated leaves
// its response incomplete, the second only the end of it.
func TestCarryPairs(t *testing.T) {
	dir := filepath.Join("..", "testdata", "captures")
	for _, name := range []string{"rotated", "tcp-rotated"} {
		a := readFrames(t, filepath.Join(dir, name+"-a.pcap"))
		b := readFrames(t, filepath.Join(dir, name+"-b.pcap"))
		got, _, carried := stitched(Config{}, [][]pcapread.Frame{a, b}, []int{0, 1})
		if !strings.Contains(got, "answered") || strings.Contains(got, "unanswered") ||
			strings.Contains(got, "unsolicited") || strings.Contains(got, "malformed") {
			t.Errorf("%s: stitched:\n%s", name, got)
		}
		if carried == 0 {
			t.Errorf("%s: nothing carried", name)
		}
	}
}

// framesOf turns raw IPv4 packets into frames a given time apart.
func framesOf(start time.Time, step time.Duration, pkts ...[]byte) []pcapread.Frame {
	var frames []pcapread.Frame
	for i, p := range pkts {
		frames = append(frames, pcapread.Frame{
			Number: int64(i + 1), Time: start.Add(time.Duration(i) * step),
			LinkType: linkRawIP, Data: p, OrigLen: len(p),
		})
	}
	return frames
}

// TestCarryChains checks the cases where holding back only what is
// unmatched would pair differently from one pass: a client that reuses its
// port and transaction ID for the same question every few seconds, and a
// response captured before its query.
func TestCarryChains(t *testing.T) {
	client := netip.MustParseAddrPort("192.0.2.20:5000")
	server := netip.MustParseAddrPort("198.51.100.53:53")
	udp := func(from, to netip.AddrPort, msg []byte) []byte {
		return ipv4Packet(from.Addr(), to.Addr(), 17, 1, 0, false,
			udpDatagram(from.Port(), to.Port(), msg))
	}
	q := udp(client, server, testQuery(t, 0, "ntp.example."))
	r := udp(server, client, testResponse(t, 0, "ntp.example.", 1))

	scenarios := map[string][]pcapread.Frame{
		"fixed id every 4s": framesOf(testBase, 2*time.Second,
			q, r, q, q, r, r, q, r, q, q, r, q, r, r, q, r),
		"responses first": framesOf(testBase, 7*time.Second, r, q, r, q, q, r, r, r, q),
	}
	for name, frames := range scenarios {
		t.Run(name, func(t *testing.T) {
			for k := 1; k < len(frames); k++ {
				equivalentUnlessResponseFirst(t, fmt.Sprintf("cut at %d", k), Config{},
					cut(frames, k))
				for j := k + 1; j < len(frames); j++ {
					equivalentUnlessResponseFirst(t, fmt.Sprintf("cut at %d and %d", k, j),
						Config{}, cut(frames, k, j))
				}
			}
		})
	}
}

// TestCarryResponseFirst pins the case Carry leaves out. A response left
// unpaired at the end of one piece is taken by its query at the start of the
// next (captured after it, as when timestamps are skewed), unless that query
// found its own response in its piece first: then one pass pairs the query
// with the earlier response, and Carry with its own.
func TestCarryResponseFirst(t *testing.T) {
	client := netip.MustParseAddrPort("192.0.2.20:5000")
	server := netip.MustParseAddrPort("198.51.100.53:53")
	q := ipv4Packet(client.Addr(), server.Addr(), 17, 1, 0, false,
		udpDatagram(client.Port(), server.Port(), testQuery(t, 9, "skew.example.")))
	r := ipv4Packet(server.Addr(), client.Addr(), 17, 1, 0, false,
		udpDatagram(server.Port(), client.Port(), testResponse(t, 9, "skew.example.", 1)))

	pieces := cut(framesOf(testBase, time.Millisecond, r, q), 1)
	equivalent(t, "response, then query in the next piece", Config{}, pieces)

	pieces = cut(framesOf(testBase, time.Millisecond, r, q, r), 1)
	one, _ := onePass(Config{}, pieces)
	got, _, _ := stitched(Config{}, pieces, []int{0, 1})
	if !strings.Contains(canonical(one), "query=1:1@10:30:00.001000000 response=0:1@") {
		t.Errorf("one pass:\n%s", canonical(one))
	}
	if !strings.Contains(got, "query=1:1@10:30:00.001000000 response=1:2@") {
		t.Errorf("stitched:\n%s", got)
	}
}

// TestCarryTCP cuts TCP connections at every frame: a response split
// across segments, a stream joined mid-message, a hole at the cut, and
// pipelined queries.
func TestCarryTCP(t *testing.T) {
	q1, q2 := testQuery(t, 41, "a.example."), testQuery(t, 42, "b.example.")
	r1, r2 := testResponse(t, 41, "a.example.", 30), testResponse(t, 42, "b.example.", 2)
	server := prefixed(r1, r2)

	build := func(join, drop int) []pcapread.Frame {
		c := newConn(0xffff_ff00, 0x10)
		var pkts [][]byte
		if join == 0 {
			pkts = append(pkts, c.handshake()...)
		}
		pkts = append(pkts, c.send(true, prefixed(q1, q2))...)
		for i, p := range c.send(false, server, 100, 250, 2+len(r1), 2+len(r1)+10) {
			if i != drop && (join == 0 || i > 0) {
				pkts = append(pkts, p)
			}
		}
		pkts = append(pkts, c.packet(true, c.cseq, flagFIN, nil))
		pkts = append(pkts, c.packet(false, c.sseq, flagFIN, nil))
		return framesOf(testBase, 300*time.Millisecond, pkts...)
	}
	scenarios := map[string][]pcapread.Frame{
		"whole":        build(0, -1),
		"joined":       build(1, -1),
		"hole":         build(0, 2),
		"hole, joined": build(1, 1),
	}
	for name, frames := range scenarios {
		t.Run(name, func(t *testing.T) {
			for k := 1; k < len(frames); k++ {
				equivalent(t, fmt.Sprintf("cut at %d", k), Config{}, cut(frames, k))
			}
		})
	}
}

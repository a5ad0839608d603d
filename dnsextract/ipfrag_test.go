package dnsextract

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	fragClient  = netip.MustParseAddrPort("192.0.2.10:41000")
	fragServer  = netip.MustParseAddrPort("198.51.100.53:53")
	fragClient6 = netip.MustParseAddrPort("[2001:db8::10]:41000")
	fragServer6 = netip.MustParseAddrPort("[2001:db8::53]:53")
)

// fragments cuts a UDP datagram from the server to the client into IPv4 or
// IPv6 fragments of at most size bytes (a multiple of 8).
func fragments(v6 bool, id uint32, dgram []byte, size int) [][]byte {
	var pkts [][]byte
	for off := 0; off < len(dgram); off += size {
		end := min(off+size, len(dgram))
		more := end < len(dgram)
		if v6 {
			pkts = append(pkts, ipv6Fragment(fragServer6.Addr(), fragClient6.Addr(), 17, id, off,
				more, dgram[off:end]))
		} else {
			pkts = append(pkts, ipv4Packet(fragServer.Addr(), fragClient.Addr(), 17, uint16(id),
				off, more, dgram[off:end]))
		}
	}
	return pkts
}

// udpQuery returns the client's query as one unfragmented packet.
func udpQuery(t *testing.T, v6 bool, id uint16, name string) []byte {
	q := udpDatagram(fragClient.Port(), fragServer.Port(), testQuery(t, id, name))
	if v6 {
		return ipv6Packet(fragClient6.Addr(), fragServer6.Addr(), 17, q)
	}
	return ipv4Packet(fragClient.Addr(), fragServer.Addr(), 17, 9, 0, false, q)
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

// TestFragmentOrders reassembles a response cut into four fragments fed in
// every order, with and without a duplicate, over IPv4 and IPv6.
func TestFragmentOrders(t *testing.T) {
	resp := testResponse(t, 0x4242, "big.example.", 150) // about 2.5 kB
	dgram := udpDatagram(fragServer.Port(), fragClient.Port(), resp)
	for _, v6 := range []bool{false, true} {
		frags := fragments(v6, 77, dgram, (len(dgram)/4+8)&^7)
		if len(frags) != 4 {
			t.Fatalf("%d fragments, want 4", len(frags))
		}
		for _, order := range permutations(len(frags)) {
			for _, dup := range []int{-1, 0, 3} {
				if dup == order[len(order)-1] {
					continue // a copy after the datagram is complete starts another
				}
				name := fmt.Sprintf("v6=%v/order=%v/dup=%d", v6, order, dup)
				x, col, f := newExtractor()
				f.feed(udpQuery(t, v6, 0x4242, "big.example."))
				var want []FrameRef
				for _, i := range order {
					want = append(want, f.feed(frags[i]))
					if i == dup {
						f.feed(frags[i])
					}
				}
				last := f.at
				x.Close()

				l := col.response(0x4242)
				switch {
				case l == nil || l.Query == nil:
					t.Errorf("%s: not paired:\n%s", name, formatLookups(col))
				case len(l.Response.Records) != 150:
					t.Errorf("%s: %d records, want 150", name, len(l.Response.Records))
				case !slices.Equal(l.Response.Frames, sortFrames(want)):
					t.Errorf("%s: frames %v, want %v", name, l.Response.Frames, want)
				case !l.Response.Time.Equal(last):
					t.Errorf("%s: time %v, want %v", name, l.Response.Time, last)
				}
				if x.frags.bytes != 0 || len(x.frags.datagrams) != 0 {
					t.Errorf("%s: %d bytes in %d datagrams left", name, x.frags.bytes,
						len(x.frags.datagrams))
				}
			}
		}
	}
}

func newExtractor() (*Extractor, *collector, *feeder) {
	col := &collector{}
	x := New(Config{}, col)
	return x, col, newFeeder(x)
}

// TestFragmentOverlaps checks that overlapping fragments with the same
// bytes are accepted and that overlapping fragments with other bytes
// reject the datagram, reported when it was DNS.
func TestFragmentOverlaps(t *testing.T) {
	resp := testResponse(t, 0x5151, "overlap.example.", 60)
	dgram := udpDatagram(fragServer.Port(), fragClient.Port(), resp)
	n := len(dgram)
	frag := func(off, end int, data []byte) []byte {
		return ipv4Packet(fragServer.Addr(), fragClient.Addr(), 17, 5, off, end < n, data[off:end])
	}
	evil := slices.Clone(dgram)
	for i := 400; i < 480; i++ {
		evil[i] ^= 0xff
	}

	tests := []struct {
		name     string
		frags    [][]byte
		answered bool
		reason   string
		skipped  int64
	}{
		{"same bytes", [][]byte{frag(0, 480, dgram), frag(240, 720, dgram), frag(400, n, dgram)},
			true, "", 0},
		{"other bytes after the first", [][]byte{frag(0, 480, dgram), frag(400, n, evil)},
			false, "ip fragments overlap with different data at offset 400", 0},
		{"other bytes before the first", [][]byte{frag(400, n, evil), frag(0, 480, dgram)},
			false, "ip fragments overlap with different data at offset 400", 0},
		{"other bytes, first fragment never seen", [][]byte{frag(400, n, evil),
			frag(240, 480, dgram), frag(240, 480, dgram)}, false, "", 3},
		{"two ends", [][]byte{frag(480, n, dgram),
			ipv4Packet(fragServer.Addr(), fragClient.Addr(), 17, 5, 400, false, dgram[400:480]),
			frag(0, 400, dgram)}, false, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, col, f := newExtractor()
			f.feed(udpQuery(t, false, 0x5151, "overlap.example."))
			for _, p := range tt.frags {
				f.feed(p)
			}
			x.Close()
			l := col.response(0x5151)
			if got := l != nil && l.Query != nil; got != tt.answered {
				t.Errorf("answered = %v, want %v:\n%s", got, tt.answered, formatLookups(col))
			}
			var reasons []string
			for _, m := range col.malformed {
				reasons = append(reasons, m.Reason)
			}
			if tt.reason != "" && (len(reasons) != 1 || reasons[0] != tt.reason) {
				t.Errorf("malformed %q, want %q", reasons, tt.reason)
			}
			if got := x.Stats().Skipped[skipFragOverlap.String()]; got != tt.skipped {
				t.Errorf("skipped %d frames for overlaps, want %d", got, tt.skipped)
			}
		})
	}
}

// TestFragmentsNotDNS checks that fragments of other traffic are dropped
// as soon as the first fragment shows its ports, whenever it comes.
func TestFragmentsNotDNS(t *testing.T) {
	payload := make([]byte, 3000)
	dgram := udpDatagram(2049, 700, payload) // NFS
	frags := fragments(false, 99, dgram, 1480)
	for _, firstLast := range []bool{false, true} {
		x, col, f := newExtractor()
		order := frags
		if firstLast {
			order = [][]byte{frags[1], frags[2], frags[0]}
		}
		held := 0
		for _, p := range order {
			f.feed(p)
			held = max(held, x.frags.bytes)
		}
		wantHeld := 0
		if firstLast {
			wantHeld = len(dgram) - 1480 + 2*fragPartCost // the two later fragments
		}
		if held != wantHeld {
			t.Errorf("first last=%v: %d bytes held, want %d", firstLast, held, wantHeld)
		}
		x.Close()
		if len(col.lookups)+len(col.malformed) > 0 || len(x.Stats().Skipped) > 0 {
			t.Errorf("first last=%v: found %s, skipped %v", firstLast, formatLookups(col),
				x.Stats().Skipped)
		}
	}
}

// TestFragmentsIncomplete checks that a DNS datagram missing a fragment is
// reported when it times out or the capture ends, and that the fragments
// of a datagram whose first fragment never came are counted as skipped.
func TestFragmentsIncomplete(t *testing.T) {
	resp := testResponse(t, 0x6161, "lost.example.", 100)
	dgram := udpDatagram(fragServer.Port(), fragClient.Port(), resp)
	frags := fragments(false, 12, dgram, 600)
	tests := []struct {
		name    string
		feed    []int
		timeout bool
		reason  string
		skipped int64
	}{
		{"middle missing", []int{0, 1, 2, 4}, false,
			fmt.Sprintf("ip fragments incomplete (end of capture): %d of %d bytes",
				len(dgram)-600, len(dgram)), 0},
		{"last missing, timed out", []int{0, 1}, true,
			"ip fragments incomplete (timed out): 1200 bytes, last fragment missing", 0},
		{"first missing", []int{1, 2, 3}, false, "", 3},
		{"first missing, timed out", []int{4, 2}, true, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, col, f := newExtractor()
			var refs []FrameRef
			for _, i := range tt.feed {
				refs = append(refs, f.feed(frags[i]))
			}
			if tt.timeout {
				f.at = f.at.Add(fragTimeout + time.Second)
				f.feed(udpQuery(t, false, 1, "later.example."))
			}
			x.Close()
			var reasons []string
			for _, m := range col.malformed {
				reasons = append(reasons, m.Reason)
				if !slices.Equal(m.Frames, refs) {
					t.Errorf("frames %v, want %v", m.Frames, refs)
				}
			}
			if tt.reason != "" && (len(reasons) != 1 || reasons[0] != tt.reason) {
				t.Errorf("malformed %q, want %q", reasons, tt.reason)
			}
			if got := x.Stats().Skipped[skipFragTimeout.String()]; got != tt.skipped {
				t.Errorf("skipped %d, want %d", got, tt.skipped)
			}
		})
	}
}

// TestFragmentLimits checks that the per-flow, total and byte limits drop
// the oldest datagrams and keep the buffered bytes bounded.
func TestFragmentLimits(t *testing.T) {
	resp := testResponse(t, 0x7171, "limits.example.", 100)
	dgram := udpDatagram(fragServer.Port(), fragClient.Port(), resp)
	tests := []struct {
		name   string
		limits fragLimits
		why    string
	}{
		{"per flow", fragLimits{datagrams: 100, perFlow: 3, bytes: 1 << 20},
			"too many datagrams between the same addresses"},
		{"in all", fragLimits{datagrams: 3, perFlow: 100, bytes: 1 << 20},
			"too many datagrams at once"},
		{"bytes", fragLimits{datagrams: 100, perFlow: 100, bytes: 3000},
			"fragment bytes over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, col, f := newExtractor()
			x.frags.limits = tt.limits
			for id := range 10 {
				frags := fragments(false, uint32(id), dgram, 800)
				f.feed(frags[0]) // the rest never comes
				if x.frags.bytes > tt.limits.bytes || x.frags.all.n > tt.limits.datagrams {
					t.Fatalf("%d bytes in %d datagrams, over %+v", x.frags.bytes,
						x.frags.all.n, tt.limits)
				}
			}
			x.Close()
			dropped, ended := 0, 0
			for _, m := range col.malformed {
				switch {
				case strings.Contains(m.Reason, tt.why):
					dropped++
				case strings.Contains(m.Reason, "end of capture"):
					ended++
				}
			}
			if dropped != 7 || ended != 3 {
				t.Errorf("%d dropped for %q and %d at the end, want 7 and 3:\n%s", dropped,
					tt.why, ended, formatLookups(col))
			}
		})
	}
}

// TestFragmentedTCP reassembles a TCP segment carried in IPv4 fragments and
// an IPv6 UDP datagram whose fragmentable part opens with a destination
// options header.
func TestFragmentedTCP(t *testing.T) {
	x, col, f := newExtractor()
	c := newConn(10, 20)
	for _, p := range c.handshake() {
		f.feed(p)
	}
	for _, p := range c.send(true, prefixed(testQuery(t, 3, "frag.example."))) {
		f.feed(p)
	}
	resp := prefixed(testResponse(t, 3, "frag.example.", 80))
	seg := tcpSegment(53, c.client.Port(), c.sseq, c.cseq, flagACK, resp)
	var want []FrameRef
	for off := 0; off < len(seg); off += 512 {
		end := min(off+512, len(seg))
		want = append(want, f.feed(ipv4Packet(c.server.Addr(), c.client.Addr(), 6, 33, off,
			end < len(seg), seg[off:end])))
	}

	dstopts := append([]byte{17, 0, 1, 4, 0, 0, 0, 0}, udpDatagram(53, 41000,
		testResponse(t, 4, "six.example.", 60))...)
	f.feed(udpQuery(t, true, 4, "six.example."))
	for off := 0; off < len(dstopts); off += 512 {
		end := min(off+512, len(dstopts))
		f.feed(ipv6Fragment(fragServer6.Addr(), fragClient6.Addr(), 60, 8, off, end < len(dstopts),
			dstopts[off:end]))
	}
	x.Close()

	if l := col.response(3); l == nil || l.Query == nil || !slices.Equal(l.Response.Frames, want) {
		t.Errorf("TCP response: frames want %v:\n%s", want, formatLookups(col))
	}
	if l := col.response(4); l == nil || l.Query == nil || l.Path != "ipv6/udp" {
		t.Errorf("IPv6 response with destination options not paired:\n%s", formatLookups(col))
	}
}

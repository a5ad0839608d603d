package dnsextract

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// byteRange is a piece [lo, hi) of one direction of a TCP stream.
type byteRange struct{ lo, hi int }

// tcpRun feeds a client's query bytes in one segment, then the server's
// bytes in the given pieces, and closes the Extractor.
type tcpRun struct {
	c      *conn
	x      *Extractor
	col    *collector
	f      *feeder
	base   uint32     // server sequence number of the first data byte
	owner  []FrameRef // server byte -> frame that first brought it
	times  map[FrameRef]time.Time
	server []byte
}

func newTCPRun(t *testing.T, c *conn, client, server []byte) *tcpRun {
	t.Helper()
	col := &collector{}
	x := New(Config{}, col)
	r := &tcpRun{c: c, x: x, col: col, f: newFeeder(x), server: server,
		owner: make([]FrameRef, len(server)), times: make(map[FrameRef]time.Time)}
	for _, p := range c.handshake() {
		r.f.feed(p)
	}
	for _, p := range c.send(true, client) {
		r.f.feed(p)
	}
	r.base = c.sseq
	return r
}

// piece feeds the server bytes [lo, hi) as one segment.
func (r *tcpRun) piece(lo, hi int) {
	ref := r.f.feed(r.c.packet(false, r.base+uint32(lo), 0, r.server[lo:hi]))
	r.times[ref] = r.f.at
	for i := lo; i < hi; i++ {
		if r.owner[i] == (FrameRef{}) {
			r.owner[i] = ref
		}
	}
}

// want returns the frames that first brought the server bytes [lo, hi) and
// the time of the latest of them.
func (r *tcpRun) want(lo, hi int) ([]FrameRef, time.Time) {
	var frames []FrameRef
	var at time.Time
	for _, ref := range r.owner[lo:hi] {
		frames = append(frames, ref)
		if r.times[ref].After(at) {
			at = r.times[ref]
		}
	}
	return sortFrames(frames), at
}

// response returns the lookup whose response has transaction ID id.
func (c *collector) response(id uint16) *Lookup {
	for _, l := range c.lookups {
		if l.Response != nil && l.Response.ID == id {
			return l
		}
	}
	return nil
}

// TestTCPReassembly cuts a server's two responses at every byte and feeds
// the pieces in order, reversed, twice each, and overlapping, with sequence
// numbers that wrap past 2^32 in the middle.
func TestTCPReassembly(t *testing.T) {
	q1, q2 := testQuery(t, 1, "one.example."), testQuery(t, 2, "two.example.")
	r1, r2 := testResponse(t, 1, "one.example.", 3), testResponse(t, 2, "two.example.", 1)
	client, server := prefixed(q1, q2), prefixed(r1, r2)
	end1, end := 2+len(r1), len(server)

	arrangements := []struct {
		name   string
		pieces func(cut int) []byteRange
	}{
		{"in order", func(c int) []byteRange { return []byteRange{{0, c}, {c, end}} }},
		{"reversed", func(c int) []byteRange { return []byteRange{{c, end}, {0, c}} }},
		{"twice", func(c int) []byteRange {
			return []byteRange{{0, c}, {0, c}, {c, end}, {c, end}}
		}},
		{"reversed twice", func(c int) []byteRange {
			return []byteRange{{c, end}, {c, end}, {0, c}, {0, c}}
		}},
		{"overlapping", func(c int) []byteRange {
			return []byteRange{{c, end}, {max(0, c-3), end}, {0, c}, {0, min(end, c+5)}}
		}},
		{"three", func(c int) []byteRange {
			m := c + (end-c)/2
			return []byteRange{{m, end}, {0, c}, {c, m}}
		}},
	}
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			for cut := 1; cut < end; cut++ {
				r := newTCPRun(t, newConn(0xffff_fff0, 0xffff_ff80+uint32(cut)), client, server)
				for _, p := range a.pieces(cut) {
					if p.lo < p.hi {
						r.piece(p.lo, p.hi)
					}
				}
				r.x.Close()
				r.check(t, fmt.Sprintf("cut %d", cut), 1, 0, end1)
				r.check(t, fmt.Sprintf("cut %d", cut), 2, end1, end)
				if len(r.col.malformed) > 0 {
					t.Errorf("cut %d: malformed %q", cut, r.col.malformed[0].Reason)
				}
			}
		})
	}
}

// check checks that the response id was framed from the server bytes
// [lo, hi) and paired.
func (r *tcpRun) check(t *testing.T, what string, id uint16, lo, hi int) {
	t.Helper()
	l := r.col.response(id)
	if l == nil || l.Query == nil {
		t.Errorf("%s: response %d not paired: %s", what, id, formatLookups(r.col))
		return
	}
	frames, at := r.want(lo, hi)
	if got := l.Response.Frames; !slices.Equal(got, frames) {
		t.Errorf("%s: response %d frames = %v, want %v", what, id, got, frames)
	}
	if got := l.Response.Time; !got.Equal(at) {
		t.Errorf("%s: response %d time = %v, want %v", what, id, got, at)
	}
	if got, want := l.Response.Size, hi-lo-2; got != want {
		t.Errorf("%s: response %d size = %d, want %d", what, id, got, want)
	}
}

// TestTCPHoles drops pieces of a server's three responses and checks what
// is reported and that framing resumes after the hole, whether the hole is
// shown by the client's acknowledgement or only by the end of the capture.
func TestTCPHoles(t *testing.T) {
	var qs, rs [][]byte
	for i := range 3 {
		name := "hole" + itoa(i) + ".example."
		qs = append(qs, testQuery(t, uint16(10+i), name))
		rs = append(rs, testResponse(t, uint16(10+i), name, 2))
	}
	client, server := prefixed(qs...), prefixed(rs...)
	e1 := 2 + len(rs[0])
	e2 := e1 + 2 + len(rs[1])

	tests := []struct {
		name     string
		hole     byteRange
		answered []uint16 // responses paired
		reasons  []string // malformed reasons, %[1]d replaced by the hole's sequence number
		payloads []int    // bytes of each malformed payload
	}{
		{"inside a message", byteRange{10, 30}, []uint16{11, 12},
			[]string{"tcp gap: 20 bytes missing at seq %[1]d"}, []int{8}},
		{"at a message boundary", byteRange{e1, e2}, []uint16{10, 12}, nil, nil},
		{"splitting a length prefix", byteRange{e1 + 1, e1 + 6}, []uint16{10, 12},
			[]string{"tcp gap: 5 bytes missing at seq %[1]d",
				"tcp gap: 5 bytes missing at seq %[1]d; " +
					fmt.Sprint(e2-e1-6) + " bytes skipped to the next message boundary"},
			[]int{0, e2 - e1 - 6}},
		{"across a message end", byteRange{e1 - 3, e1 + 7}, []uint16{12},
			[]string{"tcp gap: 10 bytes missing at seq %[1]d",
				"tcp gap: 10 bytes missing at seq %[1]d; " +
					fmt.Sprint(e2-e1-7) + " bytes skipped to the next message boundary"},
			[]int{e1 - 5, e2 - e1 - 7}},
	}
	for _, tt := range tests {
		for _, acks := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/acks=%v", tt.name, acks), func(t *testing.T) {
				c := newConn(0x1000, 0xffff_fffa)
				c.noAck = !acks
				r := newTCPRun(t, c, client, server)
				r.piece(0, tt.hole.lo)
				r.piece(tt.hole.hi, len(server))
				r.f.feed(c.packet(true, c.cseq, 0, nil)) // the client acknowledges everything
				r.x.Close()

				for _, id := range tt.answered {
					if l := r.col.response(id); l == nil || l.Query == nil {
						t.Errorf("response %d not paired:\n%s", id, formatLookups(r.col))
					}
				}
				var got []string
				for i, m := range r.col.malformed {
					got = append(got, m.Reason)
					if i < len(tt.payloads) && len(m.Payload) != tt.payloads[i] {
						t.Errorf("malformed %d: %d bytes, want %d", i, len(m.Payload),
							tt.payloads[i])
					}
					if len(m.Frames) == 0 {
						t.Errorf("malformed %d has no frames", i)
					}
				}
				var want []string
				for _, w := range tt.reasons {
					want = append(want, fmt.Sprintf(w, r.base+uint32(tt.hole.lo)))
				}
				if !slices.Equal(got, want) {
					t.Errorf("malformed = %q\nwant %q", got, want)
				}
			})
		}
	}
}

// TestTCPHoleFrames checks the frames and time of a message cut by a hole:
// the frames before and after the hole, the time of the one that ends it.
func TestTCPHoleFrames(t *testing.T) {
	q, resp := testQuery(t, 7, "cut.example."), testResponse(t, 7, "cut.example.", 20)
	r := newTCPRun(t, newConn(1, 2), prefixed(q), prefixed(resp))
	n := len(resp) + 2
	r.piece(0, 40)
	r.piece(60, 100)
	r.piece(100, n)
	r.f.feed(r.c.packet(true, r.c.cseq, 0, nil))
	r.x.Close()

	if len(r.col.malformed) != 1 {
		t.Fatalf("malformed: %s", formatLookups(r.col))
	}
	m := r.col.malformed[0]
	want := []FrameRef{r.owner[0], r.owner[60], r.owner[n-1]}
	if !slices.Equal(m.Frames, want) {
		t.Errorf("frames = %v, want %v", m.Frames, want)
	}
	if !m.Time.Equal(r.times[r.owner[n-1]]) {
		t.Errorf("time = %v, want that of frame %v", m.Time, r.owner[n-1])
	}
	if !bytes.Equal(m.Payload, resp[:38]) {
		t.Errorf("payload = %x, want the 38 bytes before the hole", m.Payload)
	}
}

// TestTCPMidstream joins a connection at every byte of its first response:
// the bytes before the first message boundary are reported as skipped, and
// the next response is always framed. The boundary heuristic must never be
// fooled by the inside of a message.
func TestTCPMidstream(t *testing.T) {
	q1, q2 := testQuery(t, 21, "first.example."), testQuery(t, 22, "second.example.")
	r1 := testResponse(t, 21, "first.example.", 4)
	r2 := testResponse(t, 22, "second.example.", 1)
	server := prefixed(r1, r2)
	e1 := 2 + len(r1)

	for start := 0; start <= e1; start++ {
		c := newConn(0x7000_0000, 0x8000_0000)
		col := &collector{}
		x := New(Config{}, col)
		f := newFeeder(x)
		for _, p := range c.send(true, prefixed(q1, q2)) {
			f.feed(p)
		}
		f.feed(c.packet(false, c.sseq+uint32(start), 0, server[start:e1+5]))
		f.feed(c.packet(false, c.sseq+uint32(e1+5), 0, server[e1+5:]))
		x.Close()

		if l := col.response(22); l == nil || l.Query == nil {
			t.Errorf("start %d: second response not paired:\n%s", start, formatLookups(col))
		}
		if start == 0 || start == e1 {
			if len(col.malformed) > 0 {
				t.Errorf("start %d: want nothing skipped:\n%s", start, formatLookups(col))
			}
			if l := col.response(21); start == 0 && (l == nil || l.Query == nil) {
				t.Errorf("start 0: first response not paired:\n%s", formatLookups(col))
			}
			continue
		}
		want := fmt.Sprintf("%s; %d bytes skipped to the next message boundary",
			causeMidstream, e1-start)
		if len(col.malformed) != 1 || col.malformed[0].Reason != want {
			t.Errorf("start %d: malformed:\n%s\nwant one: %s", start, formatLookups(col), want)
		}
	}
}

// TestTCPEnds checks what an incomplete message is reported as when its
// stream closes, is reset, goes idle or the capture ends.
func TestTCPEnds(t *testing.T) {
	resp := testResponse(t, 31, "end.example.", 2)
	data := prefixed(resp)
	tests := []struct {
		name string
		end  func(r *tcpRun)
		want string
	}{
		{"fin", func(r *tcpRun) {
			r.f.feed(r.c.packet(false, r.base+20, flagFIN, nil))
		}, "connection closed"},
		{"rst", func(r *tcpRun) {
			r.f.feed(r.c.packet(false, r.base+20, flagRST, nil))
		}, "connection reset"},
		{"idle", func(r *tcpRun) {
			r.f.at = r.f.at.Add(DefaultPairTimeout + time.Second)
			other := newConn(5, 6)
			other.client = netip.AddrPortFrom(other.client.Addr(), 40001)
			r.f.feed(other.handshake()[0])
		}, "stream idle"},
		{"end of capture", func(*tcpRun) {}, "end of capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTCPRun(t, newConn(100, 200), prefixed(testQuery(t, 31, "end.example.")), data)
			r.piece(0, 20)
			tt.end(r)
			r.x.Close()
			want := fmt.Sprintf("tcp: incomplete message, 18 of %d bytes (%s)", len(resp), tt.want)
			if len(r.col.malformed) != 1 || r.col.malformed[0].Reason != want {
				t.Fatalf("malformed:\n%s\nwant: %s", formatLookups(r.col), want)
			}
			if l := r.col.lookups; len(l) != 1 || l[0].Kind() != Unanswered {
				t.Errorf("lookups:\n%s\nwant the query unanswered", formatLookups(r.col))
			}
		})
	}
}

// TestTruncatedThenTCP checks that a UDP response with the TC bit and the
// TCP retry that follows are two lookups, the second with the answers.
func TestTruncatedThenTCP(t *testing.T) {
	x, col, f := newExtractor()
	c := newConn(1000, 2000)
	udp := func(from, to netip.AddrPort, msg []byte) []byte {
		return ipv4Packet(from.Addr(), to.Addr(), 17, 1, 0, false,
			udpDatagram(from.Port(), to.Port(), msg))
	}
	q := testQuery(t, 51, "big.example.")
	tc := testResponse(t, 51, "big.example.", 0)
	tc[2] |= 0x02 // TC
	f.feed(udp(c.client, c.server, q))
	f.feed(udp(c.server, c.client, tc))
	for _, p := range c.handshake() {
		f.feed(p)
	}
	for _, p := range c.send(true, prefixed(q)) {
		f.feed(p)
	}
	for _, p := range c.send(false, prefixed(testResponse(t, 51, "big.example.", 40)), 300) {
		f.feed(p)
	}
	x.Close()

	if len(col.lookups) != 2 {
		t.Fatalf("%d lookups, want 2:\n%s", len(col.lookups), formatLookups(col))
	}
	for _, l := range col.lookups {
		switch {
		case l.Kind() != Answered:
			t.Errorf("%s lookup %s", l.Transport, l.Kind())
		case l.Transport == UDP && (!l.Response.Truncated() || len(l.Response.Records) != 0):
			t.Errorf("UDP response: TC %v, %d records", l.Response.Truncated(),
				len(l.Response.Records))
		case l.Transport == TCP && len(l.Response.Records) != 40:
			t.Errorf("TCP response: %d records, want 40", len(l.Response.Records))
		}
	}
}

// TestTCPMidstreamLate joins a connection mid-message after the opening
// window, where nothing is kept for a Carry: the report comes at once.
func TestTCPMidstreamLate(t *testing.T) {
	x, col, f := newExtractor()
	other := newConn(1, 2)
	f.feed(other.handshake()[0]) // opens the window
	f.at = f.at.Add(time.Minute)
	c := newConn(0x100, 0x200)
	r1, r2 := testResponse(t, 61, "late.example.", 3), testResponse(t, 62, "late.example.", 1)
	data := prefixed(r1, r2)
	f.feed(c.packet(false, c.sseq+10, 0, data[10:]))
	if len(col.malformed) != 1 || len(col.lookups) > 0 {
		t.Errorf("before Close:\n%s\nwant the skipped bytes reported", formatLookups(col))
	}
	x.Close()
	if l := col.response(62); l == nil || len(col.malformed) != 1 {
		t.Errorf("after Close:\n%s", formatLookups(col))
	}
}

// discard is a Sink that drops everything.
type discard struct{}

func (discard) Lookup(*Lookup)       {}
func (discard) Malformed(*Malformed) {}

// TestTCPAllocs checks that a message that comes in one in-order segment
// costs no more allocations than the same message over UDP: the stream
// machinery allocates nothing of its own.
func TestTCPAllocs(t *testing.T) {
	const runs = 200
	q, r := testQuery(t, 71, "alloc.example."), testResponse(t, 71, "alloc.example.", 2)
	c := newConn(5000, 6000)
	var tcp, udp [][]byte
	handshake := c.handshake()
	for range runs + 1 {
		tcp = append(tcp, c.send(true, prefixed(q))[0], c.send(false, prefixed(r))[0])
		udp = append(udp,
			ipv4Packet(c.client.Addr(), c.server.Addr(), 17, 1, 0, false,
				udpDatagram(c.client.Port(), 53, q)),
			ipv4Packet(c.server.Addr(), c.client.Addr(), 17, 1, 0, false,
				udpDatagram(53, c.client.Port(), r)))
	}
	measure := func(pkts [][]byte, prime [][]byte) float64 {
		x := New(Config{}, discard{})
		f := newFeeder(x)
		for _, p := range prime {
			f.feed(p)
		}
		i := 0
		return testing.AllocsPerRun(runs, func() {
			f.feed(pkts[i])
			f.feed(pkts[i+1])
			i += 2
		})
	}
	u := measure(udp, nil)
	tc := measure(tcp, handshake)
	t.Logf("allocations per lookup: TCP %.1f, UDP %.1f", tc, u)
	if tc > u {
		t.Errorf("a lookup costs %.1f allocations over TCP, %.1f over UDP", tc, u)
	}
}

// TestNonDNSFramesAllocateNothing checks that frames an ingest skips cost
// no allocation from the Extractor: TCP and UDP on other ports, whole and
// as they come after a TCP handshake.
func TestNonDNSFramesAllocateNothing(t *testing.T) {
	c := newConn(5000, 6000)
	c.server = netip.MustParseAddrPort("198.51.100.80:443")
	web := append(c.handshake(), c.send(true, make([]byte, 700))...)
	web = append(web, c.send(false, make([]byte, 1400))...)
	ntp := ipv4Packet(c.client.Addr(), c.server.Addr(), 17, 1, 0, false,
		udpDatagram(40123, 123, make([]byte, 48)))
	for _, tc := range []struct {
		name string
		pkts [][]byte
	}{{"tcp", web}, {"udp", [][]byte{ntp}}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFeeder(New(Config{}, discard{}))
			for _, p := range tc.pkts {
				f.feed(p)
			}
			i := 0
			allocs := testing.AllocsPerRun(200, func() {
				f.feed(tc.pkts[i%len(tc.pkts)])
				i++
			})
			if allocs != 0 {
				t.Errorf("%v allocations per frame, want 0", allocs)
			}
		})
	}
}

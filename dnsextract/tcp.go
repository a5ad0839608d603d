package dnsextract

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// DNS over TCP (RFC 1035 section 4.2.2, RFC 7766 section 8): each message
// is preceded by its length in two bytes, a segment may hold several
// messages and a message may span several segments.
//
// Each direction of a connection is a stream, keyed by encapsulation path,
// source and destination. Bytes are put in order by sequence number
// (modulo 2^32): segments ahead of the next expected byte wait, bytes seen
// already (retransmissions, overlaps) are dropped, the first copy winning.
//
// A stream opened by a SYN is framed from its first byte. A stream whose
// SYN was not captured is framed once a message boundary is found (see
// plausible). A hole in a stream (a segment the capture missed) is
// established when the peer acknowledges bytes that were never seen, when
// the segments waiting behind it exceed the per-stream limit, or when the
// stream ends; the message it cuts is reported as malformed with its frames,
// and framing goes on after the hole: at once when the cut message's length
// was known, else from the next plausible message boundary.

// tcpLimits bounds TCP reassembly; tests lower them. The bytes limits count
// segmentCost for each segment besides its bytes, so that they bound the
// memory of streams of tiny segments too.
type tcpLimits struct {
	streams    int    // streams at once; beyond it the least recently active is dropped
	bytes      int    // bytes buffered across all streams
	outOfOrder int    // bytes waiting behind a hole, per stream
	hunt       int    // bytes examined per stream while looking for a message boundary
	ahead      uint32 // a segment further ahead than this is a hole, not a wait
}

// segmentCost is the bookkeeping of a segment whose bytes are buffered: the
// span that records its frame, or the copy that waits behind a hole.
const segmentCost = 96

var defaultTCPLimits = tcpLimits{
	streams:    1 << 16,
	bytes:      64 << 20,
	outOfOrder: 128 << 10,
	hunt:       128 << 10,
	ahead:      1 << 24,
}

// Why a stream looks for a message boundary.
const causeMidstream = "tcp: capture began mid-connection"

// streamKey names one direction of a TCP connection.
type streamKey struct {
	path     string
	src, dst netip.AddrPort
}

func (k streamKey) reverse() streamKey { return streamKey{k.path, k.dst, k.src} }

// span records which frame delivered the stream bytes [start, end), and when.
type span struct {
	start, end int64
	ref        FrameRef
	time       time.Time
}

// heldSegment is a copy of a segment's data that waits for the bytes
// before it.
type heldSegment struct {
	seq  uint32
	data []byte
	refs []FrameRef
	time time.Time
}

// cutMessage is a message a hole cut in two, reported once its end has
// gone by.
type cutMessage struct {
	payload []byte
	frames  []FrameRef
	reason  string
}

// stream is one direction of a TCP connection.
type stream struct {
	key        streamKey
	peer       *stream // the other direction, if tracked
	prev, next *stream // activity order
	last       time.Time
	lastRef    FrameRef

	seq    uint32 // next expected sequence number
	isn    uint32 // initial sequence number, when the SYN was seen
	hasISN bool
	closed bool // FIN reached or RST seen: later bytes are retransmissions
	finSet bool
	fin    uint32 // sequence number of the FIN

	synced bool   // buf starts at a message boundary
	buf    []byte // bytes in order not yet framed: buf[off:]
	off    int    //
	pos    int64  // stream position of buf[off]
	spans  []span // frames of the buffered bytes
	scan   int    // unsynced: offset in buf[off:] of the next boundary candidate
	cause  string // unsynced: why
	skip   int    // bytes of a cut message still to go by
	cut    *cutMessage
	ooo    []heldSegment // segments ahead of seq, by sequence number
	oooLen int

	head *streamHead // bytes of a stream joined in the opening window, kept for a Carry
}

// tcpTable holds an Extractor's TCP streams.
type tcpTable struct {
	streams     map[streamKey]*stream
	front, back *stream // least recently active first
	n           int
	bytes       int // buffered in all streams, in order and out of order
	segments    int // segments that brought them: spans and held segments
	idle        time.Duration
	limits      tcpLimits
	pk          packet // scratch for messages and reports
	one         [1]FrameRef
	frames      []FrameRef // scratch for the frames of a message, which message copies
}

func newTCPTable(idle time.Duration) tcpTable {
	return tcpTable{streams: make(map[streamKey]*stream), idle: idle, limits: defaultTCPLimits}
}

// segment handles a TCP segment to or from a DNS port.
func (x *Extractor) segment(p *packet, path string) {
	t := &x.tcp
	t.expire(x, p.time)
	key := streamKey{path, p.src, p.dst}
	s := t.streams[key]
	if s == nil {
		if len(p.payload) == 0 && !p.syn {
			if peer := t.streams[key.reverse()]; peer != nil && p.ack {
				x.acked(peer, p)
			}
			return
		}
		s = x.openStream(key, p)
	}
	t.touch(s, p)
	if s.head != nil {
		x.recordHead(s, p)
	}
	if p.ack && s.peer != nil {
		x.acked(s.peer, p)
	}

	if !x.control(s, p) {
		return
	}
	seq := p.seq
	if p.syn {
		seq++
	}
	if len(p.payload) > 0 {
		x.receive(s, seq, p.payload, t.refs(p), p.time)
	}
	if p.fin && !s.finSet {
		s.finSet, s.fin = true, seq+uint32(len(p.payload))
	}
	x.closeAtFin(s)
	if s.head != nil {
		x.handOver(s, p)
	}
	t.enforce(x, s)
}

// refs returns the frames a packet came from, without allocating for one.
func (t *tcpTable) refs(p *packet) []FrameRef {
	if p.frames != nil {
		return p.frames
	}
	t.one[0] = p.ref
	return t.one[:]
}

// control applies the SYN and RST flags and reopens a closed stream that
// gets new data. It reports whether the segment's data is still to be read.
func (x *Extractor) control(s *stream, p *packet) bool {
	switch {
	case p.rst:
		x.closeStream(s, "connection reset")
		return false
	case p.syn:
		if s.hasISN && s.isn == p.seq {
			return true // the SYN again
		}
		x.restart(s, "new connection")
		s.seq, s.isn, s.hasISN, s.synced = p.seq+1, p.seq, true, true
	case s.closed:
		if len(p.payload) == 0 || int32(p.seq-s.seq) < 0 {
			return false // retransmission after the close
		}
		x.restart(s, "")
		s.seq, s.cause = p.seq, causeMidstream
	}
	return true
}

// restart reports what the stream holds and empties it for a new
// connection on the same addresses and ports.
func (x *Extractor) restart(s *stream, why string) {
	if why != "" {
		x.flushStream(s, why)
	}
	x.endHead(s, headNone, 0, 0, "")
	s.closed, s.finSet, s.hasISN, s.synced = false, false, false, false
	s.cause = ""
}

// receive takes data that starts at sequence number seq. Each byte is
// taken from the first segment that brought it.
func (x *Extractor) receive(s *stream, seq uint32, data []byte, refs []FrameRef,
	at time.Time) {
	for len(data) > 0 {
		d := int32(seq - s.seq)
		switch {
		case d < 0 && int64(-d) >= int64(len(data)):
			return // seen already
		case d < 0:
			data, seq = data[-d:], s.seq
		case uint32(d) > x.tcp.limits.ahead:
			x.hole(s, seq, refs[0], at)
			x.drain(s)
			continue
		case d > 0:
			x.hold(s, seq, data, refs, at)
			return
		}
		if int32(seq-s.seq) != 0 {
			continue
		}

		n := len(data)
		if len(s.ooo) > 0 {
			n = int(min(int64(n), int64(int32(s.ooo[0].seq-s.seq))))
		}
		x.deliver(s, data[:n], refs, at)
		x.drain(s)
		data, seq = data[n:], seq+uint32(n)
	}
}

// hold keeps a copy of the bytes of a segment that are ahead of the next
// expected byte and not held already. Beyond the per-stream limit, the hole
// before the first waiting segment is taken as lost.
func (x *Extractor) hold(s *stream, seq uint32, data []byte, refs []FrameRef,
	at time.Time) {
	rel := func(seq uint32) int64 { return int64(int32(seq - s.seq)) }
	lo, hi := rel(seq), rel(seq)+int64(len(data))
	cur, i := lo, 0
	for ; i < len(s.ooo) && cur < hi; i++ {
		qlo := rel(s.ooo[i].seq)
		qhi := qlo + int64(len(s.ooo[i].data))
		if qhi <= cur {
			continue
		}
		if qlo > cur {
			end := min(qlo, hi)
			x.holdPiece(s, i, seq+uint32(cur-lo), data[cur-lo:end-lo], refs, at)
			i++
		}
		cur = max(cur, qhi)
	}
	if cur < hi {
		x.holdPiece(s, len(s.ooo), seq+uint32(cur-lo), data[cur-lo:], refs, at)
	}

	for s.oooLen+segmentCost*len(s.ooo) > x.tcp.limits.outOfOrder && len(s.ooo) > 0 {
		first := &s.ooo[0]
		x.hole(s, first.seq, first.refs[0], first.time)
		x.drain(s)
	}
}

// holdPiece inserts a copy of data at position i of the waiting segments.
func (x *Extractor) holdPiece(s *stream, i int, seq uint32, data []byte, refs []FrameRef,
	at time.Time) {
	q := heldSegment{
		seq: seq, data: append([]byte(nil), data...), refs: slices.Clone(refs), time: at,
	}
	s.ooo = slices.Insert(s.ooo, i, q)
	s.oooLen += len(data)
	x.tcp.bytes += len(data)
	x.tcp.segments++
}

// drain delivers the waiting segments that the next expected byte has
// reached.
func (x *Extractor) drain(s *stream) {
	for len(s.ooo) > 0 {
		q := s.ooo[0]
		d := int32(q.seq - s.seq)
		if d > 0 {
			return
		}
		s.ooo = slices.Delete(s.ooo, 0, 1)
		s.oooLen -= len(q.data)
		x.tcp.bytes -= len(q.data)
		x.tcp.segments--
		if int64(-d) < int64(len(q.data)) {
			x.deliver(s, q.data[-d:], q.refs, q.time)
		}
	}
}

// deliver takes the next bytes of the stream, in order, and frames the
// messages they complete.
func (x *Extractor) deliver(s *stream, data []byte, refs []FrameRef, at time.Time) {
	s.seq += uint32(len(data))
	for len(data) > 0 {
		switch {
		case s.skip > 0:
			n := min(s.skip, len(data))
			x.skipCut(s, n, refs, at)
			data = data[n:]
		case !s.synced:
			x.tcp.append(s, data, refs, at)
			data = nil
			x.hunt(s, false)
		case s.buffered() > 0:
			n := min(s.need(), len(data))
			x.tcp.append(s, data[:n], refs, at)
			data = data[n:]
			x.frame(s)
		default:
			n := x.direct(s, data, refs, at)
			if n < len(data) {
				x.tcp.append(s, data[n:], refs, at)
			}
			data = nil
		}
	}
}

// direct frames the whole messages at the start of data, which begins at a
// message boundary, without copying them, and returns the bytes they take.
// The messages share refs, which message copies.
func (x *Extractor) direct(s *stream, data []byte, refs []FrameRef, at time.Time) int {
	n := 0
	for len(data)-n >= 2 {
		end := n + 2 + int(binary.BigEndian.Uint16(data[n:]))
		if end > len(data) {
			break
		}
		x.streamMessage(s, data[n+2:end], refs, at)
		n = end
	}
	s.pos += int64(n)
	return n
}

// frame frames the messages complete in the buffer.
func (x *Extractor) frame(s *stream) {
	for s.synced && s.skip == 0 {
		b := s.bytes()
		if len(b) < 2 {
			return
		}
		n := 2 + int(binary.BigEndian.Uint16(b))
		if len(b) < n {
			return
		}
		frames, at := s.framesOf(x.tcp.frames[:0], s.pos, s.pos+int64(n))
		x.tcp.frames = frames
		x.streamMessage(s, b[2:n], frames, at)
		x.tcp.consume(s, n)
	}
}

// skipCut lets n bytes of a cut message go by; once it has ended, the
// message is reported.
func (x *Extractor) skipCut(s *stream, n int, refs []FrameRef, at time.Time) {
	s.skip -= n
	s.pos += int64(n)
	s.cut.frames = append(s.cut.frames, refs...)
	if s.skip == 0 {
		x.reportCut(s, at)
	}
}

// reportCut reports the message a hole cut.
func (x *Extractor) reportCut(s *stream, at time.Time) {
	c := s.cut
	s.cut, s.skip = nil, 0
	x.streamMalformed(s, c.payload, sortFrames(c.frames), at, c.reason)
}

// hunt looks for a message boundary in the bytes of an unsynchronised
// stream. Bytes before the boundary are reported as skipped. When final,
// no more bytes will come: a candidate that needs more is rejected and
// everything is skipped if none is found.
func (x *Extractor) hunt(s *stream, final bool) {
	for !s.synced {
		b := s.bytes()
		if s.scan > x.tcp.limits.hunt {
			x.skipBytes(s, s.scan)
			continue
		}
		if s.scan >= len(b) {
			if final && len(b) > 0 {
				x.skipBytes(s, len(b))
			}
			return
		}
		switch plausible(b[s.scan:], final) {
		case candidateMore:
			return
		case candidateMatch:
			x.skipBytes(s, s.scan)
			s.synced, s.cause = true, ""
			x.frame(s)
			return
		}
		s.scan++
	}
}

// skipBytes reports the first n buffered bytes as skipped in the search for
// a message boundary, and drops them.
func (x *Extractor) skipBytes(s *stream, n int) {
	if n == 0 {
		return
	}
	frames, at := s.framesOf(nil, s.pos, s.pos+int64(n))
	reason := fmt.Sprintf("%s; %d bytes skipped to the next message boundary", s.cause, n)
	x.streamMalformed(s, s.bytes()[:n], frames, at, reason)
	x.tcp.consume(s, n)
}

// hole handles the loss of the stream bytes from s.seq up to to: the
// message they cut is reported, and framing resumes after them.
func (x *Extractor) hole(s *stream, to uint32, ref FrameRef, at time.Time) {
	gap := fmt.Sprintf("tcp gap: %d bytes missing at seq %d", to-s.seq, s.seq)
	if s.head != nil {
		// The bytes before the hole belong to the head; a Carry replays them.
		x.endHead(s, headGap, s.seq, to, "")
		x.tcp.clear(s)
		s.seq, s.synced, s.cause = to, false, gap
		return
	}
	if !s.synced {
		x.hunt(s, true)
	}
	if s.synced && x.holeInMessage(s, int64(to-s.seq), ref, at, gap) {
		s.seq = to
		return
	}
	s.seq = to
	s.synced, s.cause, s.scan = false, gap, 0
}

// holeInMessage handles a hole of n bytes in a synchronised stream. It
// reports whether the stream stays synchronised: the hole ends inside or at
// the end of the message it cuts.
func (x *Extractor) holeInMessage(s *stream, n int64, ref FrameRef, at time.Time,
	gap string) bool {
	if s.skip > 0 {
		if n < int64(s.skip) {
			s.skip -= int(n)
			return true
		}
		n -= int64(s.skip)
		x.reportCut(s, at)
		return n == 0
	}
	b := s.bytes()
	if len(b) == 0 {
		return false // at a boundary: whatever the hole held is gone
	}

	frames, _ := s.framesOf(nil, s.pos, s.pos+int64(len(b)))
	c := &cutMessage{payload: slices.Clone(b[min(2, len(b)):]), frames: frames, reason: gap}
	if len(c.frames) == 0 {
		c.frames = []FrameRef{ref}
	}
	rest := int64(-1) // bytes of the message after the buffered ones, unknown
	if len(b) >= 2 {
		rest = int64(2 + int(binary.BigEndian.Uint16(b)) - len(b))
	}
	x.tcp.consume(s, len(b))
	s.cut = c
	if rest > n {
		s.skip = int(rest - n)
		return true
	}
	x.reportCut(s, at)
	return rest == n
}

// acked handles an acknowledgement of s's bytes by the peer: bytes it
// acknowledges that were never seen are a hole in the capture.
func (x *Extractor) acked(s *stream, p *packet) {
	d := int32(p.ackNum - s.seq)
	if s.closed || d <= 0 || uint32(d) > x.tcp.limits.ahead {
		return
	}
	to := p.ackNum
	if s.finSet && int32(to-s.fin) > 0 {
		to = s.fin // the FIN takes a sequence number of its own
	}
	if len(s.ooo) > 0 && int32(s.ooo[0].seq-to) < 0 {
		to = s.ooo[0].seq
	}
	if int32(to-s.seq) <= 0 {
		return
	}
	x.hole(s, to, p.ref, p.time)
	x.drain(s)
	x.closeAtFin(s)
}

// closeAtFin closes the stream once every byte before its FIN has come.
func (x *Extractor) closeAtFin(s *stream) {
	if s.finSet && !s.closed && s.seq == s.fin {
		x.closeStream(s, "connection closed")
		s.seq = s.fin + 1
	}
}

// closeStream reports what the stream holds and marks it closed; it stays
// in the table until idle so that retransmissions are recognised.
func (x *Extractor) closeStream(s *stream, why string) {
	x.flushStream(s, why)
	x.endHead(s, headNone, 0, 0, "")
	s.closed = true
	s.buf, s.spans, s.ooo = nil, nil, nil
}

// flushStream ends the framing of a stream that gets no more bytes: the
// holes before waiting segments are taken as lost, and what cannot be
// completed is reported.
func (x *Extractor) flushStream(s *stream, why string) {
	for len(s.ooo) > 0 {
		first := &s.ooo[0]
		x.hole(s, first.seq, first.refs[0], first.time)
		x.drain(s)
	}
	if s.skip > 0 {
		x.reportCut(s, s.last)
	}
	if !s.synced {
		x.hunt(s, true)
	}
	if b := s.bytes(); len(b) > 0 {
		frames, at := s.framesOf(nil, s.pos, s.pos+int64(len(b)))
		reason := fmt.Sprintf("tcp: incomplete message, %d bytes (%s)", len(b), why)
		if len(b) >= 2 {
			reason = fmt.Sprintf("tcp: incomplete message, %d of %d bytes (%s)",
				len(b)-2, binary.BigEndian.Uint16(b), why)
		}
		x.streamMalformed(s, b[min(2, len(b)):], frames, at, reason)
	}
	x.tcp.clear(s)
}

// streamMessage hands a message framed in a stream to the decoder. While
// the stream's head is kept for a Carry, the message is left to the replay.
func (x *Extractor) streamMessage(s *stream, payload []byte, frames []FrameRef, at time.Time) {
	if s.head != nil {
		x.edges.chainHead(s.key, payload, at)
		return
	}
	p := &x.tcp.pk
	p.time, p.transport, p.src, p.dst = at, TCP, s.key.src, s.key.dst
	x.message(payload, frames, p, s.key.path)
}

// streamMalformed reports bytes of a stream that cannot be a message. While
// a stream's head is kept for a Carry, its reports are left to the replay.
func (x *Extractor) streamMalformed(s *stream, payload []byte, frames []FrameRef,
	at time.Time, reason string) {
	if s.head != nil {
		return
	}
	p := &x.tcp.pk
	p.time, p.transport, p.src, p.dst = at, TCP, s.key.src, s.key.dst
	x.malformed(payload, frames, p, s.key.path, errString(reason))
}

// bytes returns the buffered bytes.
func (s *stream) bytes() []byte { return s.buf[s.off:] }

func (s *stream) buffered() int { return len(s.buf) - s.off }

// need returns how many more bytes complete the buffered message's length
// prefix, or the message.
func (s *stream) need() int {
	b := s.bytes()
	if len(b) < 2 {
		return 2 - len(b)
	}
	return 2 + int(binary.BigEndian.Uint16(b)) - len(b)
}

// framesOf appends to frames the frames that delivered the stream bytes
// [from, to), in capture order, and returns them with the latest time among
// them.
func (s *stream) framesOf(frames []FrameRef, from, to int64) ([]FrameRef, time.Time) {
	var at time.Time
	for i := range s.spans {
		sp := &s.spans[i]
		if sp.end <= from || sp.start >= to {
			continue
		}
		frames = append(frames, sp.ref)
		if sp.time.After(at) {
			at = sp.time
		}
	}
	return sortFrames(frames), at
}

// append buffers in-order bytes delivered by the frames refs.
func (t *tcpTable) append(s *stream, data []byte, refs []FrameRef, at time.Time) {
	if s.off > 0 && len(s.buf)+len(data) > cap(s.buf) {
		n := copy(s.buf, s.buf[s.off:])
		s.buf, s.off = s.buf[:n], 0
	}
	start := s.pos + int64(s.buffered())
	s.buf = append(s.buf, data...)
	for _, ref := range refs {
		s.spans = append(s.spans, span{start, start + int64(len(data)), ref, at})
	}
	t.bytes += len(data)
	t.segments += len(refs)
}

// consume drops the first n buffered bytes.
func (t *tcpTable) consume(s *stream, n int) {
	s.off += n
	s.pos += int64(n)
	s.scan = max(0, s.scan-n)
	t.bytes -= n
	k := 0
	for k < len(s.spans) && s.spans[k].end <= s.pos {
		k++
	}
	t.segments -= k
	s.spans = s.spans[:copy(s.spans, s.spans[k:])]
	if s.off == len(s.buf) {
		s.buf, s.off = s.buf[:0], 0
		if cap(s.buf) > 16<<10 {
			s.buf = nil
		}
	}
}

// clear drops the buffered bytes without reporting them.
func (t *tcpTable) clear(s *stream) {
	t.consume(s, s.buffered())
	t.segments -= len(s.spans)
	s.spans, s.scan = s.spans[:0], 0
}

// openStream starts tracking a stream with p as its first segment.
func (x *Extractor) openStream(key streamKey, p *packet) *stream {
	t := &x.tcp
	for t.n >= t.limits.streams && t.front != nil {
		x.dropStream(t.front, "stream evicted")
	}
	s := &stream{key: key, seq: p.seq}
	if p.syn {
		s.seq, s.isn, s.hasISN, s.synced = p.seq+1, p.seq, true, true
	} else {
		s.cause = causeMidstream
		x.startHead(s, p)
	}
	if peer := t.streams[key.reverse()]; peer != nil {
		s.peer, peer.peer = peer, s
	}
	t.streams[key] = s
	t.pushBack(s)
	return s
}

// dropStream reports what a stream holds and forgets it.
func (x *Extractor) dropStream(s *stream, why string) {
	x.flushStream(s, why)
	x.endHead(s, headFlush, s.seq, s.seq, why)
	x.tcp.remove(s)
}

// expire drops the streams idle for longer than the pairing timeout at
// capture time now.
func (t *tcpTable) expire(x *Extractor, now time.Time) {
	deadline := now.Add(-t.idle)
	for s := t.front; s != nil && s.last.Before(deadline); s = t.front {
		x.dropStream(s, "stream idle")
	}
}

// enforce drops the least recently active streams while what they buffer
// exceeds the limit; s, being served, goes last.
func (t *tcpTable) enforce(x *Extractor, s *stream) {
	for t.memory() > t.limits.bytes {
		victim := t.front
		if victim == s {
			victim = s.next
		}
		if victim == nil {
			x.flushStream(s, "stream over the buffer limit")
			x.endHead(s, headFlush, s.seq, s.seq, "stream over the buffer limit")
			return
		}
		x.dropStream(victim, "stream evicted")
	}
}

// memory returns what the streams buffer, counted against limits.bytes.
func (t *tcpTable) memory() int { return t.bytes + segmentCost*t.segments }

// touch records activity on s at p's time.
func (t *tcpTable) touch(s *stream, p *packet) {
	if p.time.After(s.last) {
		s.last = p.time
	}
	s.lastRef = p.ref
	if t.back != s {
		t.unlink(s)
		t.pushBack(s)
	}
}

// remove forgets s and what it holds.
func (t *tcpTable) remove(s *stream) {
	t.detach(s)
	s.buf, s.off, s.spans, s.ooo, s.oooLen = nil, 0, nil, nil, 0
}

// detach takes s out of the table with what it holds.
func (t *tcpTable) detach(s *stream) {
	t.bytes -= s.buffered() + s.oooLen
	t.segments -= len(s.spans) + len(s.ooo)
	delete(t.streams, s.key)
	t.unlink(s)
	if s.peer != nil {
		s.peer.peer, s.peer = nil, nil
	}
}

func (t *tcpTable) pushBack(s *stream) {
	s.prev, s.next = t.back, nil
	if t.back == nil {
		t.front = s
	} else {
		t.back.next = s
	}
	t.back = s
	t.n++
}

func (t *tcpTable) unlink(s *stream) {
	if s.prev == nil {
		t.front = s.next
	} else {
		s.prev.next = s.next
	}
	if s.next == nil {
		t.back = s.prev
	} else {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	t.n--
}

// flushAll reports what every stream holds and forgets them all.
func (t *tcpTable) flushAll(x *Extractor, why string) {
	for s := t.front; s != nil; s = t.front {
		x.dropStream(s, why)
	}
}

// A boundary candidate's verdict.
type candidate uint8

const (
	candidateNo    candidate = iota
	candidateMore            // plausible so far; more bytes will tell
	candidateMatch           // a whole message that decodes
)

// plausible says whether b starts with a length-prefixed DNS message. It is
// how a stream joined mid-connection, or resumed after a hole, finds its
// next message boundary. The heuristic:
//
//   - the length is at least a header (12 bytes);
//   - the header is sane: opcode QUERY, IQUERY, STATUS, NOTIFY, UPDATE or
//     DSO; the Z bit clear; a query has RCODE 0 and no TC bit; a response
//     has an RCODE defined for the header (0 to 11); at most one question,
//     and a QUERY query has one;
//   - the counts fit the length: a question takes at least 5 bytes and a
//     record at least 11;
//   - when the whole message is there, it must decode without error;
//     when it is not, the question name read so far must be made of plain
//     labels, and more bytes are awaited (final rejects it instead).
//
// A false match needs a length, a header and a whole message that decodes,
// all from the middle of another message, so that resynchronisation almost
// never lands inside a message; when it does, the messages framed after it
// are reported as malformed, never invented.
func plausible(b []byte, final bool) candidate {
	if len(b) < 2+headerLen {
		if final {
			return candidateNo
		}
		return candidateMore
	}
	n := int(binary.BigEndian.Uint16(b))
	h := b[2:]
	if n < headerLen || !saneHeader(h, n) {
		return candidateNo
	}
	if len(b) >= 2+n {
		if _, err := decodeMessage(b[2 : 2+n]); err != nil {
			return candidateNo
		}
		return candidateMatch
	}
	if final || (binary.BigEndian.Uint16(h[4:]) == 1 && !plainName(h[headerLen:])) {
		return candidateNo
	}
	return candidateMore
}

// saneHeader checks a DNS header h of a message claimed to be n bytes long.
func saneHeader(h []byte, n int) bool {
	flags := binary.BigEndian.Uint16(h[2:])
	qr, opcode, rcode := flags&0x8000 != 0, flags>>11&0x0f, flags&0x0f
	switch {
	case opcode == 3 || opcode > 6, flags&0x0040 != 0:
		return false
	case !qr && (rcode != 0 || flags&0x0200 != 0), qr && rcode > 11:
		return false
	}
	qd := int(binary.BigEndian.Uint16(h[4:]))
	rr := int(binary.BigEndian.Uint16(h[6:])) + int(binary.BigEndian.Uint16(h[8:])) +
		int(binary.BigEndian.Uint16(h[10:]))
	if qd > 1 || (!qr && opcode == 0 && qd == 0) {
		return false
	}
	return headerLen+5*qd+11*rr <= n
}

// plainName reports whether b starts with what may be an uncompressed name
// (RFC 1035 section 3.1), as far as b goes.
func plainName(b []byte) bool {
	total := 0
	for len(b) > 0 {
		l := int(b[0])
		switch {
		case l == 0:
			return true
		case l > 63:
			return false
		}
		total += l + 1
		if total > 254 {
			return false
		}
		b = b[min(len(b), l+1):]
	}
	return true
}

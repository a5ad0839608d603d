package dnsextract

import (
	"cmp"
	"encoding/binary"
	"slices"
	"time"
)

// Rotated captures: one Extractor per file, then a Stitch.
//
// A capture cut into consecutive files (tcpdump -C or -G, a sensor's hourly
// files) is read one Extractor per file, in parallel. What crosses a cut
// lies at the edges of the files: at the end of one, the messages still
// waiting for their other half, the TCP streams still open and the datagrams
// still missing fragments (tails); at the start of the next, what may
// complete them (heads). An Extractor hands its edges over in a Carry
// instead of reporting them, and a fresh Extractor replays the carries of
// all files in capture-time order, pairing and reassembling across the cuts.
//
// Heads are recognised within the opening window of an Extractor: the
// PairTimeout of capture time after the first frame it is fed. Anything
// later cannot meet a tail of an earlier file, which would have expired by
// then. In that window the Extractor holds back:
//
//   - a response that finds no query waiting for it (the query may be in
//     the previous file), and every later message of a transaction so held
//     for as long as one pass could still pair it with a held one;
//   - the segments of a TCP stream joined without its SYN (it may continue a
//     message begun in the previous file, or retransmit bytes seen there),
//     recorded as they came, until the window is over and the stream stands
//     at a message boundary with nothing waiting; the messages framed from
//     them are left to the replay, which feeds the segments to the stream
//     carried from the previous file, or to a new one;
//   - the fragments of a datagram begun in the window and not completed.
//
// The tails are the messages waiting in the pairer, the streams and the
// incomplete datagrams at the end of the file, and the file's last frame
// time, at which the replay expires what one pass would have expired.
// Messages, streams and datagrams that had expired before the end of the
// file are reported by its own Extractor.
//
// The result is the same as one Extractor fed every file in order, whatever
// the number of files and the order their carries are given in, but for
// these cases:
//
//   - a query at the start of a file that pairs with its own response in
//     that file, when the previous file left a response to the same
//     transaction and question unpaired (a response captured before its
//     query): one pass pairs the query with the earlier response;
//   - the limits: holding stops once MaxPending messages, or their weight
//     in memory (see Config.MaxPending), are held; a stream head beyond
//     maxHeadBytes, or beyond maxHeadTotalBytes for all heads, ends where it
//     stands; datagrams beyond the fragment limits are not handed over from
//     the opening window; and the stream and fragment limits apply to each
//     Extractor alone;
//   - acknowledgements are not carried: a hole at a cut is established when
//     the stream ends rather than when acknowledged, and a stream the next
//     file's Extractor framed differently (a false message boundary) is
//     reported as cut where the two meet.

// Bounds of what an Extractor keeps for a Carry. The total for stream heads
// counts the bookkeeping of each head and segment as well as the bytes, so
// that heads of many streams, or of many tiny or empty segments, stay within
// it too.
const (
	maxHeadBytes      = 256 << 10 // bytes recorded for one stream head
	maxHeadTotalBytes = 32 << 20  // memory of all stream heads, bookkeeping included
	headCost          = 256       // bookkeeping of one stream head
	headSegmentCost   = 128       // bookkeeping of one recorded segment
)

// Carry holds the edges of one piece of a capture, handed over by
// Extractor.Carry and replayed by Extractor.Stitch: the messages, TCP
// streams and fragments that a piece before or after it may complete. It is
// not tied to the Extractor that made it and may be passed to another
// goroutine. What it holds is bounded by what falls within PairTimeout of
// the piece's first and last frames.
type Carry struct {
	edges []edge
}

// Len returns the number of items carried: messages, TCP streams, and the
// segments and ends of stream heads.
func (c *Carry) Len() int { return len(c.edges) }

type edgeKind uint8

// Edge kinds, in the order they are replayed when their times and frames
// are equal.
const (
	edgeSegment   edgeKind = iota // a recorded segment of a stream head
	edgeHeadEnd                   // where a stream head ended
	edgeStream                    // a stream open at the end of a capture
	edgeFragment                  // a fragment of a datagram left incomplete
	edgeTombstone                 // a datagram whose later fragments are dropped
	edgeMessage                   // a message waiting to be paired
	edgeClock                     // the time of a capture's last frame
)

// edge is one carried item.
type edge struct {
	time   time.Time
	ref    FrameRef
	kind   edgeKind
	held   heldMessage
	stream *stream
	head   *streamHead
	seg    int
	dgram  *datagram
}

// heldMessage is a decoded message waiting to be paired.
type heldMessage struct {
	msg       *Message
	transport Transport
	path      string
}

// headEnd says how a stream head ended.
type headEnd uint8

const (
	headOpen     headEnd = iota // still open at the end of the capture
	headNone                    // its own segments ended it (FIN, RST, a new SYN)
	headHandOver                // the stream went on alone from seq, a message boundary
	headGap                     // a hole from seq to to
	headFlush                   // dropped at seq (idle, limits) for the reason why
)

// streamHead records the segments of a stream joined without its SYN in the
// opening window, up to its first message boundary.
type streamHead struct {
	key     streamKey
	segs    []recordedSegment
	bytes   int
	end     headEnd
	seq, to uint32
	why     string
	endTime time.Time
	endRef  FrameRef
}

// recordedSegment is a segment of a stream head as it came.
type recordedSegment struct {
	seq           uint32
	data          []byte
	refs          []FrameRef
	time          time.Time
	syn, fin, rst bool
}

// edges is an Extractor's state for Carry: its opening window, the
// messages it holds back and the stream heads it records.
type edges struct {
	on      bool // holding back what falls in the opening window
	started bool
	until   time.Time // end of the opening window
	last    time.Time // latest frame time
	now     time.Time // time and reference of the frame being decoded
	nowRef  FrameRef
	timeout time.Duration

	held       []heldMessage
	heldWeight int                       // weight of the held messages, bounded as the pairer's
	chains     map[transaction]time.Time // held transactions: latest time held
	pruned     time.Time
	heads      []*streamHead // ended heads
	headBytes  int           // memory of all heads, counted against maxHeadTotalBytes
	datagrams  []*datagram   // incomplete datagrams handed over
	dgBytes    int           // memory of the datagrams handed over, as the limits count it
	ending     bool          // Carry is collecting the tails
	replay     packet
}

// keepsDatagram says whether an incomplete datagram being dropped is to be
// handed over rather than reported: at the end of the capture, and in the
// opening window, where the previous capture may hold its other fragments.
// In the window, at most as many datagrams and bytes as the fragment limits
// allow are handed over; the others are reported at once.
func (e *edges) keepsDatagram(d *datagram, limits fragLimits) bool {
	if !e.started || e.until.IsZero() {
		return false
	}
	if e.ending {
		return true
	}
	return d.state == fragCollecting && d.start.Before(e.until) &&
		len(e.datagrams) < limits.datagrams && e.dgBytes+d.held <= limits.bytes
}

// keepDatagram hands over an incomplete datagram taken out of the table.
func (e *edges) keepDatagram(d *datagram) {
	e.datagrams = append(e.datagrams, d)
	e.dgBytes += d.held
}

// clock notes a frame's time; the first opens the window.
func (e *edges) clock(capture int, f time.Time, number int64) {
	if !e.started {
		e.started, e.on = true, true
		e.until = f.Add(e.timeout)
		e.chains = make(map[transaction]time.Time)
	}
	if f.After(e.last) {
		e.last = f
	}
	e.now, e.nowRef = f, FrameRef{Capture: capture, Frame: number}
}

// offer hands a decoded message to the pairer, or holds it back for a
// Carry when the previous capture may hold its other half.
func (x *Extractor) offer(m *Message, transport Transport, path string) {
	e := &x.edges
	if e.on && len(e.held) < x.pairs.limit && e.heldWeight < x.pairs.maxWeight {
		key := transactionOf(m, transport, path)
		if e.holds(key, m, x.pairs) {
			e.held = append(e.held, heldMessage{m, transport, path})
			e.heldWeight += weight(m)
			if last, ok := e.chains[key]; !ok || m.Time.After(last) {
				e.chains[key] = m.Time
			}
			return
		}
	}
	x.pairs.add(m, transport, path)
}

// holds says whether m is to be held back.
func (e *edges) holds(key transaction, m *Message, pairs *pairer) bool {
	if len(e.chains) > 0 {
		e.prune(m.Time)
		if last, ok := e.chains[key]; ok && !last.Add(e.timeout).Before(m.Time) {
			return true
		}
	}
	if !m.Time.Before(e.until) {
		e.on = len(e.chains) > 0
		return false
	}
	return m.Response && !pairs.waitingFor(key, m)
}

// prune forgets the held transactions that nothing can pair with any more,
// once per timeout of capture time.
func (e *edges) prune(now time.Time) {
	if now.Before(e.pruned.Add(e.timeout)) {
		return
	}
	e.pruned = now
	for key, last := range e.chains {
		if last.Add(e.timeout).Before(now) {
			delete(e.chains, key)
		}
	}
}

// transactionOf returns the transaction m belongs to, as the pairer keys it.
func transactionOf(m *Message, transport Transport, path string) transaction {
	if m.Response {
		return newTransaction(transport, path, m.Dst, m.Src, m.ID)
	}
	return newTransaction(transport, path, m.Src, m.Dst, m.ID)
}

// waitingFor reports whether a message waits that m would pair with.
func (p *pairer) waitingFor(key transaction, m *Message) bool {
	for w := p.byKey[key]; w != nil; w = w.next {
		if w.msg.Response != m.Response && sameQuestion(w.msg, m) {
			return true
		}
	}
	return false
}

// takeAll removes every waiting message, oldest first.
func (p *pairer) takeAll() []*waiting {
	var out []*waiting
	for _, w := range p.queue[p.head:] {
		if !w.done {
			out = append(out, w)
		}
	}
	clear(p.byKey)
	clear(p.queue)
	p.queue, p.head, p.count, p.weight = p.queue[:0], 0, 0, 0
	return out
}

// startHead starts recording a stream joined without its SYN in the
// opening window.
func (x *Extractor) startHead(s *stream, p *packet) {
	e := &x.edges
	if e.on && p.time.Before(e.until) && e.headBytes+headCost <= maxHeadTotalBytes {
		s.head = &streamHead{key: s.key}
		e.headBytes += headCost
	}
}

// recordHead records a segment of a stream head. A head that grows too big
// ends where the stream stands, and the stream looks for its next message
// boundary from there.
func (x *Extractor) recordHead(s *stream, p *packet) {
	h := s.head
	cost := len(p.payload) + headSegmentCost
	if h.bytes+len(p.payload) > maxHeadBytes || x.edges.headBytes+cost > maxHeadTotalBytes {
		x.endHead(s, headFlush, s.seq, s.seq, "stream head too long to carry")
		x.tcp.clear(s)
		s.synced, s.skip, s.cut, s.cause = false, 0, nil, causeMidstream
		return
	}
	h.segs = append(h.segs, recordedSegment{
		seq: p.seq, data: slices.Clone(p.payload), refs: slices.Clone(x.tcp.refs(p)),
		time: p.time, syn: p.syn, fin: p.fin, rst: p.rst,
	})
	h.bytes += len(p.payload)
	x.edges.headBytes += cost
}

// handOver ends the head of s once the opening window is over and the
// stream stands at a message boundary with nothing waiting: no byte it gets
// from then on can belong to a message begun in the previous capture.
func (x *Extractor) handOver(s *stream, p *packet) {
	if !p.time.Before(x.edges.until) && s.synced && s.buffered() == 0 && s.skip == 0 &&
		len(s.ooo) == 0 && !s.closed {
		x.endHead(s, headHandOver, s.seq, s.seq, "")
	}
}

// chainHead notes the transaction of a message framed in a stream head, left
// to the replay, so that the messages of the same transaction are held back
// too.
func (e *edges) chainHead(key streamKey, payload []byte, at time.Time) {
	if len(payload) < headerLen {
		return
	}
	client, server := key.src, key.dst
	if payload[2]&0x80 != 0 {
		client, server = key.dst, key.src
	}
	t := newTransaction(TCP, key.path, client, server, binary.BigEndian.Uint16(payload))
	if last, ok := e.chains[t]; !ok || at.After(last) {
		e.chains[t] = at
	}
	e.on = true
}

// endHead ends the head of s, if it has one. The segments recorded past seq
// are dropped when the head ends there: the stream goes on without them.
func (x *Extractor) endHead(s *stream, end headEnd, seq, to uint32, why string) {
	h := s.head
	if h == nil {
		return
	}
	s.head = nil
	h.end, h.seq, h.to, h.why = end, seq, to, why
	h.endTime, h.endRef = x.edges.now, x.edges.nowRef
	if end == headHandOver || end == headGap || end == headFlush {
		h.truncate(seq)
	}
	x.edges.heads = append(x.edges.heads, h)
}

// truncate drops the recorded bytes at and after seq.
func (h *streamHead) truncate(seq uint32) {
	segs := h.segs[:0]
	for _, g := range h.segs {
		keep := int32(seq - g.seq)
		if keep <= 0 {
			continue
		}
		if int(keep) < len(g.data) {
			g.data, g.fin = g.data[:keep], false
		}
		segs = append(segs, g)
	}
	h.segs = segs
}

// Carry ends the capture like Close, except that it hands over, instead of
// reporting them, the messages and streams that a capture before or after
// this one may complete: see Stitch. The Extractor must not be used after.
func (x *Extractor) Carry() *Carry {
	e := &x.edges
	x.pairs.expire(e.last)
	x.tcp.expire(x, e.last)
	x.frags.expire(x, e.last)
	e.ending = true
	x.frags.flush(x)

	c := &Carry{}
	for _, h := range e.held {
		c.addMessage(h)
	}
	for _, w := range x.pairs.takeAll() {
		c.addMessage(heldMessage{w.msg, w.key.transport(), w.key.path})
	}
	for s := x.tcp.front; s != nil; s = x.tcp.front {
		x.tcp.detach(s)
		if s.head != nil {
			x.endHead(s, headOpen, 0, 0, "")
			continue
		}
		c.edges = append(c.edges, edge{time: e.last, ref: e.nowRef, kind: edgeStream, stream: s})
	}
	for _, h := range e.heads {
		c.addHead(h)
	}
	for _, d := range e.datagrams {
		c.addDatagram(d)
	}
	if e.started {
		c.edges = append(c.edges, edge{time: e.last, ref: e.nowRef, kind: edgeClock})
	}

	*e = edges{timeout: e.timeout, started: true}
	sortEdges(c.edges)
	return c
}

func (c *Carry) addMessage(h heldMessage) {
	ref := FrameRef{}
	if n := len(h.msg.Frames); n > 0 {
		ref = h.msg.Frames[n-1]
	}
	c.edges = append(c.edges, edge{time: h.msg.Time, ref: ref, kind: edgeMessage, held: h})
}

func (c *Carry) addHead(h *streamHead) {
	for i := range h.segs {
		g := &h.segs[i]
		c.edges = append(c.edges, edge{
			time: g.time, ref: g.refs[len(g.refs)-1], kind: edgeSegment, head: h, seg: i,
		})
	}
	if h.end != headOpen && h.end != headNone {
		c.edges = append(c.edges, edge{time: h.endTime, ref: h.endRef, kind: edgeHeadEnd, head: h})
	}
}

func (c *Carry) addDatagram(d *datagram) {
	if d.state != fragCollecting {
		c.edges = append(c.edges, edge{time: d.start, kind: edgeTombstone, dgram: d})
		return
	}
	for i := range d.parts {
		q := &d.parts[i]
		c.edges = append(c.edges, edge{time: q.time, ref: q.ref, kind: edgeFragment, dgram: d,
			seg: i})
	}
}

// sortEdges orders carried items by capture time, then capture index and
// frame number, then kind; items of one capture keep their order otherwise.
func sortEdges(edges []edge) {
	slices.SortStableFunc(edges, func(a, b edge) int {
		if c := a.time.Compare(b.time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ref.Capture, b.ref.Capture); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ref.Frame, b.ref.Frame); c != 0 {
			return c
		}
		return cmp.Compare(a.kind, b.kind)
	})
}

// Stitch replays into a fresh Extractor the carries of consecutive pieces
// of one capture, in capture-time order: a query left waiting at the end of
// one piece meets its response at the start of the next, and a TCP stream
// or a fragmented datagram cut between pieces is reassembled. The carries
// may be given in any order. Call Close afterwards to report what remains.
//
// The lookups and malformed payloads are those one Extractor fed all the
// pieces in order would report (in another order), except when a query at
// the start of a piece pairs with its own response there while the piece
// before left unpaired a response to the same question (captured before the
// query), and when the limits on streams, fragments and pending messages
// are reached.
func (x *Extractor) Stitch(carries ...*Carry) {
	var all []edge
	for _, c := range carries {
		all = append(all, c.edges...)
	}
	sortEdges(all)
	for i := range all {
		x.replay(&all[i])
	}
}

// replay feeds one carried item to the Extractor.
func (x *Extractor) replay(e *edge) {
	switch e.kind {
	case edgeMessage:
		x.pairs.expire(e.time)
		x.pairs.add(e.held.msg, e.held.transport, e.held.path)
	case edgeStream:
		x.tcp.expire(x, e.time)
		x.adopt(e.stream)
	case edgeSegment:
		g := &e.head.segs[e.seg]
		p := &x.edges.replay
		*p = packet{
			time: g.time, ref: g.refs[0], transport: TCP,
			src: e.head.key.src, dst: e.head.key.dst, payload: g.data,
			seq: g.seq, syn: g.syn, fin: g.fin, rst: g.rst,
		}
		if len(g.refs) > 1 {
			p.frames = g.refs
		}
		x.segment(p, e.head.key.path)
	case edgeHeadEnd:
		x.replayHeadEnd(e.head)
	case edgeFragment:
		x.replayFragment(e.dgram, e.seg)
	case edgeTombstone:
		x.frags.expire(x, e.time)
		if x.frags.datagrams[e.dgram.key] == nil {
			x.frags.open(x, e.dgram.key, e.dgram.start).state = e.dgram.state
		}
	case edgeClock:
		x.pairs.expire(e.time)
		x.tcp.expire(x, e.time)
		x.frags.expire(x, e.time)
	}
}

// replayFragment feeds again the fragment i of a datagram handed over.
func (x *Extractor) replayFragment(d *datagram, i int) {
	q := &d.parts[i]
	p := &x.edges.replay
	*p = packet{time: q.time, ref: q.ref}
	p.frag = fragment{
		ok: true, v6: d.key.v6, proto: d.proto, id: d.key.id, offset: q.off,
		more: d.size < 0 || q.end() != d.size, data: q.data, src: d.key.src, dst: d.key.dst,
	}
	x.fragment(p, d.key.path)
}

// adopt takes over a stream carried from another Extractor. A stream left
// on the same addresses by an earlier piece gave way to a new connection.
func (x *Extractor) adopt(s *stream) {
	t := &x.tcp
	if old := t.streams[s.key]; old != nil {
		x.dropStream(old, "new connection")
	}
	for t.n >= t.limits.streams && t.front != nil {
		x.dropStream(t.front, "stream evicted")
	}
	if peer := t.streams[s.key.reverse()]; peer != nil {
		s.peer, peer.peer = peer, s
	}
	t.streams[s.key] = s
	t.pushBack(s)
	t.bytes += s.buffered() + s.oooLen
	t.segments += len(s.spans) + len(s.ooo)
	t.enforce(x, s)
}

// replayHeadEnd ends, where the next piece's Extractor took over, the
// stream that a head continued: the stream goes on in that Extractor.
func (x *Extractor) replayHeadEnd(h *streamHead) {
	s := x.tcp.streams[h.key]
	if s == nil {
		return
	}
	switch h.end {
	case headHandOver:
		if s.synced && s.seq == h.seq && s.buffered() == 0 && s.skip == 0 && len(s.ooo) == 0 {
			x.tcp.remove(s)
			return
		}
		x.dropStream(s, "cut where the next capture's reader found a message boundary")
	case headGap:
		if int32(h.to-s.seq) <= 0 {
			x.tcp.remove(s) // the carried stream had the bytes the next capture missed
			return
		}
		x.hole(s, h.to, h.endRef, h.endTime)
		if s.cut != nil {
			x.reportCut(s, h.endTime)
		}
		x.tcp.remove(s)
	case headFlush:
		x.dropStream(s, h.why)
	}
}

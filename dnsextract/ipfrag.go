package dnsextract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5).
//
// Fragments of every datagram are kept until its first fragment (offset 0)
// shows the transport ports: a datagram to or from a DNS port is reassembled,
// any other is dropped at once and its later fragments are discarded as they
// come, so fragmented traffic that is not DNS costs one map entry per
// datagram. A first fragment that arrives last is handled: until then the
// fragments are buffered, within the limits below.
//
// Overlaps: fragments that overlap with the same bytes (duplicates,
// retransmissions) are accepted, the bytes first seen being kept. Fragments
// that overlap with different bytes make the datagram inconsistent: it is
// rejected whole, as RFC 5722 asks of IPv6 hosts, and reported as malformed
// when it was DNS (an overlap with different data is how fragment-based cache
// poisoning works, so the responder wants to see it).

// Limits of fragment reassembly.
const (
	fragTimeout  = 30 * time.Second // capture time a datagram waits, as on Linux
	maxDatagram  = 65535            // bytes of a datagram (IPv4 total length, IPv6 payload)
	maxFragStore = 2 * maxDatagram  // bytes kept for one datagram, overlaps included
)

// fragLimits bounds the datagrams being reassembled; tests lower them.
type fragLimits struct {
	datagrams int // datagrams at once; beyond it the oldest is dropped
	perFlow   int // datagrams at once between two addresses on one path
	bytes     int // memory the fragments hold in all: their bytes and fragPartCost each
}

// fragPartCost is what a fragment held costs besides its bytes: its fragPart
// in the datagram's slice, with room for the slice to grow, and the rounding
// of its copy. The byte limits count it, so that they bound memory even when
// the fragments are 8 bytes each.
const fragPartCost = 96

var defaultFragLimits = fragLimits{datagrams: 4096, perFlow: 64, bytes: 16 << 20}

// Reasons for fragments that never became a datagram, counted in
// Stats.Skipped (one per frame).
var (
	skipFragTruncated = skipReason{"ip fragment cut short by the snapshot length", -1}
	skipFragTooLong   = skipReason{"ip fragment past 65535 bytes", -1}
	skipFragOverlap   = skipReason{"ip fragments overlapping with different data", -1}
	skipFragLimit     = skipReason{"ip fragments over the reassembly limits", -1}
	skipFragTimeout   = skipReason{"ip fragments incomplete", -1}
)

// fragment is an IP fragment as the frame decoder found it. Its data aliases
// the frame.
type fragment struct {
	ok        bool
	v6        bool
	truncated bool // the frame holds less than the IP header claims
	more      bool // MF flag
	proto     uint8
	id        uint32
	offset    int
	data      []byte
	src, dst  netip.Addr
}

// fragment fills p.frag when the innermost IP layer decoded is a fragment
// of a larger datagram (not an atomic IPv6 fragment, which gopacket decodes
// through).
func (d *frameDecoder) fragment(ip, last gopacket.LayerType, p *packet) bool {
	fr := &p.frag
	switch {
	case last == layers.LayerTypeIPv4 &&
		(d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0):
		*fr = fragment{
			proto:  uint8(d.ip4.Protocol),
			id:     uint32(d.ip4.Id),
			offset: int(d.ip4.FragOffset) * 8,
			more:   d.ip4.Flags&layers.IPv4MoreFragments != 0,
			data:   d.ip4.Payload,
		}
		fr.truncated = len(d.ip4.Payload) < int(d.ip4.Length)-int(d.ip4.IHL)*4
	case last == layers.LayerTypeIPv6Fragment &&
		(d.frag6.FragmentOffset != 0 || d.frag6.MoreFragments):
		*fr = fragment{
			v6:     true,
			proto:  uint8(d.frag6.NextHeader),
			id:     d.frag6.Identification,
			offset: int(d.frag6.FragmentOffset) * 8,
			more:   d.frag6.MoreFragments,
			data:   d.frag6.Payload,
		}
		fr.truncated = len(d.ip6.Payload) < int(d.ip6.Length)
	default:
		return false
	}
	fr.ok = true
	fr.src, fr.dst = d.addrs(ip)
	p.transport = 0
	return true
}

// fragKey identifies the fragments of one datagram: RFC 791 matches IPv4
// fragments by addresses, protocol and identification, RFC 8200 IPv6 ones
// by addresses and identification. The encapsulation path is part of it.
type fragKey struct {
	path     string
	src, dst netip.Addr
	proto    uint8 // IPv4 only
	id       uint32
	v6       bool
}

// fragFlow is the traffic between two addresses on one path.
type fragFlow struct {
	path     string
	src, dst netip.Addr
}

type fragState uint8

const (
	fragCollecting fragState = iota
	fragIgnored              // not DNS: later fragments are discarded
	fragRejected             // inconsistent overlap: later fragments are discarded
)

// fragPart is the data of one fragment, copied from its frame.
type fragPart struct {
	off  int
	data []byte
	ref  FrameRef
	time time.Time
}

func (q *fragPart) end() int { return q.off + len(q.data) }

// datagram is an IP datagram being reassembled.
type datagram struct {
	key        fragKey
	prev, next *datagram // all datagrams, oldest first
	flowPrev   *datagram // datagrams of the same flow, oldest first
	flowNext   *datagram
	flow       *fragList

	start time.Time // capture time of its first fragment seen
	state fragState
	parts []fragPart // sorted by offset
	bytes int        // bytes in parts
	held  int        // bytes in parts and fragPartCost each, as the limits count them
	size  int        // length once the last fragment is seen, else -1
	proto uint8      // protocol of the reassembled payload (IPv6: from the offset-0 fragment)

	ports        bool // the first fragment has been seen and shows a DNS port
	sport, dport uint16
	transport    Transport
}

// fragList is a list of datagrams, oldest first, linked through prev and
// next (all datagrams) or flowPrev and flowNext (one flow).
type fragList struct {
	front, back *datagram
	n           int
}

// fragTable holds the datagrams an Extractor is reassembling.
type fragTable struct {
	datagrams map[fragKey]*datagram
	flows     map[fragFlow]*fragList
	all       fragList
	bytes     int
	limits    fragLimits
	paths     map[transportPath]string
	pk        packet // scratch for reports
}

// transportPath names an encapsulation path extended by a transport.
type transportPath struct {
	base      string
	transport Transport
}

func newFragTable() fragTable {
	return fragTable{
		datagrams: make(map[fragKey]*datagram),
		flows:     make(map[fragFlow]*fragList),
		limits:    defaultFragLimits,
		paths:     make(map[transportPath]string),
	}
}

// pathFor returns base extended by the transport, e.g. "eth/ipv4/udp",
// interned so that a datagram costs no allocation for it.
func (f *fragTable) pathFor(base string, t Transport) string {
	k := transportPath{base, t}
	if s, ok := f.paths[k]; ok {
		return s
	}
	if len(f.paths) >= maxInternedPaths {
		clear(f.paths)
	}
	s := base + "/" + t.String()
	f.paths[k] = s
	return s
}

// fragment takes one IP fragment on encapsulation path base.
func (x *Extractor) fragment(p *packet, base string) {
	f := &x.frags
	fr := &p.frag
	f.expire(x, p.time)
	switch {
	case fr.truncated:
		x.skipped[skipFragTruncated]++
		return
	case fr.offset+len(fr.data) > maxDatagram:
		x.skipped[skipFragTooLong]++
		return
	}

	key := fragKey{path: base, src: fr.src, dst: fr.dst, id: fr.id, v6: fr.v6}
	if !fr.v6 {
		key.proto = fr.proto
	}
	d := f.datagrams[key]
	if d == nil {
		d = f.open(x, key, p.time)
	}
	if d.state != fragCollecting {
		if d.state == fragRejected {
			x.skipped[skipFragOverlap]++
		}
		return
	}
	if !f.room(x, d, len(fr.data)+fragPartCost) {
		x.skipped[skipFragLimit]++
		return
	}
	x.addFragment(d, p, base)
}

// addFragment adds p's fragment to d and hands d on once it is complete.
func (x *Extractor) addFragment(d *datagram, p *packet, base string) {
	f := &x.frags
	fr := &p.frag
	if !fr.v6 || fr.offset == 0 {
		d.proto = fr.proto // IPv6: the offset-0 fragment's Next Header counts
	}
	if fr.offset == 0 {
		if !x.inspectFirst(d, fr.data) {
			f.ignore(d)
			return
		}
	}
	if err := d.add(fr.offset, fr.data, p.ref, p.time, &f.bytes); err != "" {
		f.reject(x, d, err, p)
		return
	}
	if !fr.more {
		if err := d.last(fr.offset + len(fr.data)); err != "" {
			f.reject(x, d, err, p)
			return
		}
	}
	if d.size < 0 || !d.covers(0, d.size) {
		return
	}

	data, frames := d.assemble()
	f.remove(d)
	x.datagram(d, data, frames, p, base)
}

// inspectFirst reads the transport ports from the first fragment's data and
// reports whether the datagram may be DNS.
func (x *Extractor) inspectFirst(d *datagram, data []byte) bool {
	proto, off, ok := transportAt(d.proto, data)
	if !ok || len(data) < off+4 {
		return true // cannot tell yet; the whole datagram will say
	}
	if proto != uint8(UDP) && proto != uint8(TCP) {
		return false
	}
	d.sport = binary.BigEndian.Uint16(data[off:])
	d.dport = binary.BigEndian.Uint16(data[off+2:])
	d.transport = Transport(proto)
	d.ports = true
	return x.ports.has(d.sport) || x.ports.has(d.dport)
}

// transportAt skips the IPv6 extension headers that may open the
// fragmentable part (RFC 8200 section 4.1) and returns the protocol of the
// header at the returned offset.
func transportAt(proto uint8, b []byte) (uint8, int, bool) {
	off := 0
	for {
		var n int
		switch layers.IPProtocol(proto) {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing,
			layers.IPProtocolIPv6Destination:
			if len(b) < off+2 {
				return 0, 0, false
			}
			n = (int(b[off+1]) + 1) * 8
		case layers.IPProtocolAH:
			if len(b) < off+2 {
				return 0, 0, false
			}
			n = (int(b[off+1]) + 2) * 4
		default:
			return proto, off, true
		}
		if len(b) < off+n {
			return 0, 0, false
		}
		proto = b[off]
		off += n
	}
}

// datagram decodes the transport header of a reassembled datagram d and
// hands its payload on as if it had come in one frame, completed by p.
func (x *Extractor) datagram(d *datagram, data []byte, frames []FrameRef, p *packet,
	base string) {
	proto, off, ok := transportAt(d.proto, data)
	if !ok {
		return
	}
	b := data[off:]
	var sport, dport uint16
	switch proto {
	case uint8(UDP):
		if len(b) < 8 {
			return
		}
		end := len(b)
		if n := int(binary.BigEndian.Uint16(b[4:])); n >= 8 && n <= end {
			end = n
		}
		sport, dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		p.transport, p.payload = UDP, b[8:end]
	case uint8(TCP):
		hl := 0
		if len(b) >= 20 {
			hl = int(b[12]>>4) * 4
		}
		if hl < 20 || hl > len(b) {
			return
		}
		sport, dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		p.transport, p.payload = TCP, b[hl:]
		p.seq, p.ackNum = binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
		flags := b[13]
		p.fin, p.syn, p.rst, p.ack = flags&0x01 != 0, flags&0x02 != 0, flags&0x04 != 0,
			flags&0x10 != 0
	default:
		return
	}
	if !x.ports.has(sport) && !x.ports.has(dport) {
		return
	}
	p.src = netip.AddrPortFrom(d.key.src, sport)
	p.dst = netip.AddrPortFrom(d.key.dst, dport)
	p.frames = frames
	x.payload(p, x.frags.pathFor(base, p.transport))
}

// add copies a fragment of data at offset off into d. It returns why the
// datagram is inconsistent, or "". A fragment whose bytes are all held
// already is dropped: its frame contributed nothing.
func (d *datagram) add(off int, data []byte, ref FrameRef, t time.Time, total *int) string {
	end := off + len(data)
	if d.size >= 0 && end > d.size {
		return fmt.Sprintf("ip fragment at offset %d ends past the last fragment (%d)",
			off, d.size)
	}
	for i := range d.parts {
		q := &d.parts[i]
		lo, hi := max(off, q.off), min(end, q.end())
		if lo < hi && !bytes.Equal(data[lo-off:hi-off], q.data[lo-q.off:hi-q.off]) {
			return fmt.Sprintf("ip fragments overlap with different data at offset %d", lo)
		}
	}
	if len(data) == 0 || d.covers(off, end) {
		return ""
	}
	if d.bytes+len(data) > maxFragStore {
		return "ip fragments: more overlapping copies than a datagram can hold"
	}

	i, _ := slices.BinarySearchFunc(d.parts, off, func(q fragPart, off int) int {
		return q.off - off
	})
	part := fragPart{off: off, data: append([]byte(nil), data...), ref: ref, time: t}
	d.parts = slices.Insert(d.parts, i, part)
	d.bytes += len(data)
	d.held += len(data) + fragPartCost
	*total += len(data) + fragPartCost
	return ""
}

// last records that the datagram ends at end (the fragment without MF).
func (d *datagram) last(end int) string {
	if d.size >= 0 && d.size != end {
		return fmt.Sprintf("ip fragments end at both %d and %d", d.size, end)
	}
	for i := range d.parts {
		if d.parts[i].end() > end {
			return fmt.Sprintf("ip fragment at offset %d ends past the last fragment (%d)",
				d.parts[i].off, end)
		}
	}
	d.size = end
	return ""
}

// covers reports whether the parts hold every byte of [from, to).
func (d *datagram) covers(from, to int) bool {
	reach := from
	for i := range d.parts {
		q := &d.parts[i]
		if q.off > reach {
			break
		}
		reach = max(reach, q.end())
	}
	return reach >= to
}

// assemble returns the datagram's payload and the frames it came from, in
// capture order.
func (d *datagram) assemble() ([]byte, []FrameRef) {
	data := make([]byte, d.size)
	frames := make([]FrameRef, 0, len(d.parts))
	for i := range d.parts {
		q := &d.parts[i]
		copy(data[q.off:], q.data)
		frames = append(frames, q.ref)
	}
	return data, sortFrames(frames)
}

// prefix returns the bytes held from offset from on, up to the first hole.
func (d *datagram) prefix(from int) []byte {
	var b []byte
	reach := 0
	for i := range d.parts {
		q := &d.parts[i]
		if q.off > reach {
			break
		}
		if q.end() > reach {
			b = append(b, q.data[reach-q.off:]...)
			reach = q.end()
		}
	}
	if len(b) < from {
		return nil
	}
	return b[from:]
}

// sortFrames sorts frame references in capture order and removes
// duplicates.
func sortFrames(frames []FrameRef) []FrameRef {
	slices.SortFunc(frames, func(a, b FrameRef) int {
		if a.Capture != b.Capture {
			return a.Capture - b.Capture
		}
		switch {
		case a.Frame < b.Frame:
			return -1
		case a.Frame > b.Frame:
			return 1
		}
		return 0
	})
	return slices.Compact(frames)
}

// open starts a datagram for key, making room for it first.
func (f *fragTable) open(x *Extractor, key fragKey, now time.Time) *datagram {
	flowKey := fragFlow{key.path, key.src, key.dst}
	flow := f.flows[flowKey]
	if flow == nil {
		flow = &fragList{}
		f.flows[flowKey] = flow
	}
	for flow.n >= f.limits.perFlow && flow.front != nil {
		f.drop(x, flow.front, "too many datagrams between the same addresses")
	}
	for f.all.n >= f.limits.datagrams && f.all.front != nil {
		f.drop(x, f.all.front, "too many datagrams at once")
	}
	if f.flows[flowKey] == nil { // dropping emptied and removed it
		f.flows[flowKey] = flow
	}

	d := &datagram{key: key, start: now, size: -1, flow: flow}
	f.datagrams[key] = d
	f.all.pushBack(d, false)
	flow.pushBack(d, true)
	return d
}

// room makes room for n more bytes, dropping the oldest datagrams other
// than d, and reports whether there is room.
func (f *fragTable) room(x *Extractor, d *datagram, n int) bool {
	for f.bytes+n > f.limits.bytes {
		victim := f.all.front
		if victim == d {
			victim = d.next
		}
		if victim == nil {
			return false
		}
		f.drop(x, victim, "fragment bytes over the limit")
	}
	return true
}

// expire drops the datagrams that have waited longer than fragTimeout at
// capture time now.
func (f *fragTable) expire(x *Extractor, now time.Time) {
	deadline := now.Add(-fragTimeout)
	for d := f.all.front; d != nil && d.start.Before(deadline); d = f.all.front {
		f.drop(x, d, "timed out")
	}
}

// flush drops every datagram still being reassembled.
func (f *fragTable) flush(x *Extractor) {
	for d := f.all.front; d != nil; d = f.all.front {
		f.drop(x, d, "end of capture")
	}
}

// drop forgets a datagram that will not be completed. One that was DNS is
// reported as malformed with what arrived of it; the fragments of any other
// are counted as skipped.
func (f *fragTable) drop(x *Extractor, d *datagram, why string) {
	if x.edges.keepsDatagram(d, f.limits) {
		f.detach(d)
		x.edges.keepDatagram(d)
		return
	}
	defer f.remove(d)
	if d.state != fragCollecting || len(d.parts) == 0 {
		return
	}
	if !d.ports {
		x.skipped[skipFragTimeout] += int64(len(d.parts))
		return
	}
	reason := fmt.Sprintf("ip fragments incomplete (%s): %d bytes, last fragment missing",
		why, d.bytes)
	if d.size >= 0 {
		reason = fmt.Sprintf("ip fragments incomplete (%s): %d of %d bytes", why, d.bytes, d.size)
	}
	f.report(x, d, reason)
}

// reject drops a datagram whose fragments contradict each other, reporting
// it as malformed when its first fragment showed a DNS port, and keeps it as
// a tombstone so that its later fragments are dropped too.
func (f *fragTable) reject(x *Extractor, d *datagram, reason string, p *packet) {
	d.parts = append(d.parts, fragPart{ref: p.ref, time: p.time})
	if d.ports {
		f.report(x, d, reason)
	} else {
		x.skipped[skipFragOverlap] += int64(len(d.frames()))
	}
	f.release(d)
	d.state = fragRejected
}

// ignore forgets the fragments of a datagram that is not DNS; it stays as a
// tombstone so that its later fragments are dropped unbuffered.
func (f *fragTable) ignore(d *datagram) {
	f.release(d)
	d.state = fragIgnored
}

// frames returns the frames of d's fragments, in capture order.
func (d *datagram) frames() []FrameRef {
	frames := make([]FrameRef, 0, len(d.parts))
	for i := range d.parts {
		frames = append(frames, d.parts[i].ref)
	}
	return sortFrames(frames)
}

// report reports what arrived of datagram d as a malformed DNS payload.
func (f *fragTable) report(x *Extractor, d *datagram, reason string) {
	p := &f.pk
	*p = packet{transport: d.transport}
	p.src = netip.AddrPortFrom(d.key.src, d.sport)
	p.dst = netip.AddrPortFrom(d.key.dst, d.dport)
	for i := range d.parts {
		if d.parts[i].time.After(p.time) {
			p.time = d.parts[i].time
		}
	}

	var payload []byte
	if data := d.prefix(0); len(data) > 0 {
		_, off, ok := transportAt(d.proto, data)
		hdr := 8
		if d.transport == TCP && ok && len(data) >= off+13 {
			hdr = int(data[off+12]>>4) * 4
		}
		if ok && len(data) > off+hdr {
			payload = data[off+hdr:]
		}
	}
	base := d.key.path
	x.malformed(payload, d.frames(), p, f.pathFor(base, d.transport), errString(reason))
}

// release frees a datagram's fragments.
func (f *fragTable) release(d *datagram) {
	f.bytes -= d.held
	d.parts, d.bytes, d.held = nil, 0, 0
}

// remove takes d out of the table and frees its fragments.
func (f *fragTable) remove(d *datagram) {
	f.detach(d)
	d.parts, d.bytes, d.held = nil, 0, 0
}

// detach takes d out of the table with its fragments.
func (f *fragTable) detach(d *datagram) {
	f.bytes -= d.held
	delete(f.datagrams, d.key)
	f.all.remove(d, false)
	d.flow.remove(d, true)
	if d.flow.n == 0 {
		delete(f.flows, fragFlow{d.key.path, d.key.src, d.key.dst})
	}
}

// pushBack appends d to the list, through the flow links when flow is set.
func (l *fragList) pushBack(d *datagram, flow bool) {
	prev, next := &d.prev, &d.next
	if flow {
		prev, next = &d.flowPrev, &d.flowNext
	}
	*prev, *next = l.back, nil
	if l.back == nil {
		l.front = d
	} else if flow {
		l.back.flowNext = d
	} else {
		l.back.next = d
	}
	l.back = d
	l.n++
}

// remove unlinks d from the list.
func (l *fragList) remove(d *datagram, flow bool) {
	prev, next := d.prev, d.next
	if flow {
		prev, next = d.flowPrev, d.flowNext
	}
	switch {
	case prev == nil:
		l.front = next
	case flow:
		prev.flowNext = next
	default:
		prev.next = next
	}
	switch {
	case next == nil:
		l.back = prev
	case flow:
		next.flowPrev = prev
	default:
		next.prev = prev
	}
	if flow {
		d.flowPrev, d.flowNext = nil, nil
	} else {
		d.prev, d.next = nil, nil
	}
	l.n--
}

// errString is an error made of a reason computed at the time.
type errString string

func (e errString) Error() string { return string(e) }

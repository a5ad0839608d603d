package dnsextract

import (
	"net/netip"
	"strings"
	"time"
)

// transaction identifies the messages of one DNS transaction: the flow seen
// from the client, the encapsulation it was found on, and the transaction ID
// (RFC 1035 section 4.1.1), as Zeek pairs them. The pairer looks one up for
// every message, so the fixed-size part is packed into bytes, which a map
// hashes in one pass where a struct of addresses costs a call per field:
// the client and server addresses in 16 bytes each (IPv4 as IPv4-mapped),
// their ports, the ID, the transport, and which address is IPv4 or absent.
// Addresses decoded from frames carry no IPv6 zone, and none is kept.
type transaction struct {
	flow [40]byte
	path string
}

// Offsets in transaction.flow.
const (
	flowClient     = 0
	flowServer     = 16
	flowClientPort = 32
	flowServerPort = 34
	flowID         = 36
	flowTransport  = 38
	flowKinds      = 39 // kindIPv4 and kindInvalid, shifted by 2 for the server
)

// Kinds of address in transaction.flow.
const (
	kindIPv4    = 1
	kindInvalid = 2
)

// newTransaction packs a transaction.
func newTransaction(transport Transport, path string, client, server netip.AddrPort,
	id uint16) transaction {
	t := transaction{path: path}
	t.flow[flowClientPort] = byte(client.Port() >> 8)
	t.flow[flowClientPort+1] = byte(client.Port())
	t.flow[flowServerPort] = byte(server.Port() >> 8)
	t.flow[flowServerPort+1] = byte(server.Port())
	t.flow[flowID] = byte(id >> 8)
	t.flow[flowID+1] = byte(id)
	t.flow[flowTransport] = byte(transport)
	t.flow[flowKinds] = putAddr(t.flow[flowClient:], client.Addr()) |
		putAddr(t.flow[flowServer:], server.Addr())<<2
	return t
}

// putAddr writes a in 16 bytes at b and returns its kind.
func putAddr(b []byte, a netip.Addr) byte {
	switch {
	case !a.IsValid():
		return kindInvalid
	case a.Is4():
		ip := a.As16()
		copy(b, ip[:])
		return kindIPv4
	}
	ip := a.As16()
	copy(b, ip[:])
	return 0
}

// addr reads the address packed at b with the given kind.
func addr(b []byte, kind byte) netip.Addr {
	if kind&kindInvalid != 0 {
		return netip.Addr{}
	}
	a := netip.AddrFrom16([16]byte(b[:16]))
	if kind&kindIPv4 != 0 {
		return a.Unmap()
	}
	return a
}

// transport returns the transaction's transport.
func (t *transaction) transport() Transport { return Transport(t.flow[flowTransport]) }

// client returns the client's address and port.
func (t *transaction) client() netip.AddrPort {
	return netip.AddrPortFrom(addr(t.flow[flowClient:], t.flow[flowKinds]),
		uint16(t.flow[flowClientPort])<<8|uint16(t.flow[flowClientPort+1]))
}

// server returns the server's address and port.
func (t *transaction) server() netip.AddrPort {
	return netip.AddrPortFrom(addr(t.flow[flowServer:], t.flow[flowKinds]>>2),
		uint16(t.flow[flowServerPort])<<8|uint16(t.flow[flowServerPort+1]))
}

// maxPerTransaction bounds the messages of one transaction waiting at once
// (a query retransmitted with the same ID from the same port, or responses
// to it); beyond it the oldest of them is emitted alone, so that pairing a
// message never scans more than that many.
const maxPerTransaction = 64

// Memory of the messages waiting to be paired, as weight estimates it.
const (
	pendingWeight = 1 << 10 // allowed per message of the limit, on average
	messageCost   = 768     // a message, its frames and its place in the pairer
	recordCost    = 80      // a record, besides its data
)

// weight estimates the memory a decoded message holds while it waits: a few
// hundred bytes for a query, up to some hundreds of KiB for a response of
// thousands of records.
func weight(m *Message) int {
	w := messageCost + len(m.QName) + 16*len(m.Frames)
	for i := range m.Records {
		w += recordCost + len(m.Records[i].Data)
	}
	return w
}

// waiting is a message held until its other half arrives or it expires.
type waiting struct {
	key    transaction
	msg    *Message
	next   *waiting // the next to arrive of the same transaction
	weight int
	done   bool // paired or emitted; left in the queue as a tombstone
}

// pairer pairs queries with responses, in either capture order. Messages wait
// at most timeout of capture time, at most limit wait at once, and they weigh
// at most limit times pendingWeight; beyond that the oldest is emitted alone.
type pairer struct {
	timeout   time.Duration
	limit     int
	maxWeight int
	emit      func(*Lookup)

	byKey  map[transaction]*waiting // the first of each transaction's list
	queue  []*waiting               // arrival order, for expiry
	head   int                      // first live position in queue
	count  int                      // messages waiting
	weight int                      // their weight
	free   []*waiting               // done and out of the queue, for reuse
}

func newPairer(timeout time.Duration, limit int, emit func(*Lookup)) *pairer {
	return &pairer{
		timeout:   timeout,
		limit:     limit,
		maxWeight: limit * pendingWeight,
		emit:      emit,
		byKey:     make(map[transaction]*waiting),
	}
}

// add offers a message found on path over transport.
func (p *pairer) add(m *Message, transport Transport, path string) {
	key := transactionOf(m, transport, path)

	first := p.byKey[key]
	if w := p.take(key, first, m); w != nil {
		l := newLookup()
		l.Transport, l.Path = transport, path
		if m.Response {
			l.Client, l.Server = m.Dst, m.Src
			l.Query, l.Response = w.msg, m
		} else {
			l.Client, l.Server = m.Src, m.Dst
			l.Query, l.Response = m, w.msg
		}
		p.emit(l)
		return
	}

	w := p.newWaiting()
	w.key, w.msg, w.weight = key, m, weight(m)
	p.queue = append(p.queue, w)
	p.count++
	p.weight += w.weight
	if first == nil {
		p.byKey[key] = w
	} else {
		n, last := 2, first
		for ; last.next != nil; last = last.next {
			n++
		}
		last.next = w
		if n > maxPerTransaction {
			p.drop(first)
		}
	}
	for p.count > p.limit || p.weight > p.maxWeight {
		p.expireOne()
	}
}

// take removes and returns the waiting message that m completes, from the
// list that starts at first, the messages waiting with key: a query for a
// response or a response for a query, with the same question. Among several,
// a response takes the latest query (a retransmission's answer) and a query
// takes the earliest response.
func (p *pairer) take(key transaction, first *waiting, m *Message) *waiting {
	var best, before, prev *waiting
	for w := first; w != nil; prev, w = w, w.next {
		if w.msg.Response == m.Response || !sameQuestion(w.msg, m) {
			continue
		}
		best, before = w, prev
		if !m.Response {
			break
		}
	}
	if best == nil {
		return nil
	}
	p.unlink(key, best, before)
	return best
}

// unlink removes w, which follows before in its transaction's list (before
// is nil when w is the first), from the waiting set.
func (p *pairer) unlink(key transaction, w, before *waiting) {
	switch {
	case before != nil:
		before.next = w.next
	case w.next != nil:
		p.byKey[key] = w.next
	default:
		delete(p.byKey, key)
	}
	w.next = nil
	w.done = true
	p.count--
	p.weight -= w.weight
}

// sameQuestion reports whether two messages ask the same question. A message
// without a question (some error responses) matches any.
func sameQuestion(a, b *Message) bool {
	if a.QName == "" || b.QName == "" {
		return true
	}
	return a.QType == b.QType && a.QClass == b.QClass && strings.EqualFold(a.QName, b.QName)
}

// expire emits the messages that have waited longer than the timeout at
// capture time now.
func (p *pairer) expire(now time.Time) {
	deadline := now.Add(-p.timeout)
	for w := p.front(); w != nil && w.msg.Time.Before(deadline); w = p.front() {
		p.drop(w)
		p.pop()
	}
}

// expireOne emits the oldest waiting message alone.
func (p *pairer) expireOne() {
	if w := p.front(); w != nil {
		p.drop(w)
		p.pop()
	}
}

// front returns the oldest message still waiting, or nil, discarding the
// tombstones of paired messages before it.
func (p *pairer) front() *waiting {
	for p.head < len(p.queue) && p.queue[p.head].done {
		p.pop()
	}
	p.compact()
	if p.head == len(p.queue) {
		return nil
	}
	return p.queue[p.head]
}

// pop removes the queue's first entry. An entry that is done (its message
// paired or emitted) is kept for reuse: nothing else refers to it.
func (p *pairer) pop() {
	w := p.queue[p.head]
	p.queue[p.head] = nil
	p.head++
	if w.done {
		*w = waiting{}
		p.free = append(p.free, w)
	}
}

// newWaiting returns an empty waiting, reused when one is free.
func (p *pairer) newWaiting() *waiting {
	if n := len(p.free); n > 0 {
		w := p.free[n-1]
		p.free = p.free[:n-1]
		return w
	}
	return new(waiting)
}

// drop removes w from the waiting set and emits it as a lookup of its own.
func (p *pairer) drop(w *waiting) {
	var before *waiting
	for x := p.byKey[w.key]; x != w; x = x.next {
		before = x
	}
	p.unlink(w.key, w, before)

	l := newLookup()
	l.Transport, l.Path = w.key.transport(), w.key.path
	l.Client, l.Server = w.key.client(), w.key.server()
	if w.msg.Response {
		l.Response = w.msg
	} else {
		l.Query = w.msg
	}
	p.emit(l)
}

// compact reclaims the queue's consumed prefix once it dominates.
func (p *pairer) compact() {
	if p.head < 1024 || p.head < len(p.queue)/2 {
		return
	}
	n := copy(p.queue, p.queue[p.head:])
	clear(p.queue[n:])
	p.queue = p.queue[:n]
	p.head = 0
}

// flush emits every waiting message alone, oldest first.
func (p *pairer) flush() {
	for p.count > 0 {
		p.expireOne()
	}
	p.queue, p.head = p.queue[:0], 0
}

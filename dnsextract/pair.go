package dnsextract

import (
	"net/netip"
	"strings"
	"time"
)

// transaction identifies the messages of one DNS transaction: the flow seen
// from the client, the encapsulation it was found on, and the transaction ID
// (RFC 1035 section 4.1.1), as Zeek pairs them.
type transaction struct {
	transport Transport
	path      string
	client    netip.AddrPort
	server    netip.AddrPort
	id        uint16
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

	byKey  map[transaction][]*waiting
	queue  []*waiting // arrival order, for expiry
	head   int        // first live position in queue
	count  int        // messages waiting
	weight int        // their weight
	free   []*waiting // done and out of the queue, for reuse
}

func newPairer(timeout time.Duration, limit int, emit func(*Lookup)) *pairer {
	return &pairer{
		timeout:   timeout,
		limit:     limit,
		maxWeight: limit * pendingWeight,
		emit:      emit,
		byKey:     make(map[transaction][]*waiting),
	}
}

// add offers a message found on path over transport.
func (p *pairer) add(m *Message, transport Transport, path string) {
	key := transaction{transport: transport, path: path, id: m.ID}
	if m.Response {
		key.client, key.server = m.Dst, m.Src
	} else {
		key.client, key.server = m.Src, m.Dst
	}

	if w := p.take(key, m); w != nil {
		l := newLookup()
		l.Transport, l.Path, l.Client, l.Server = transport, path, key.client, key.server
		if m.Response {
			l.Query, l.Response = w.msg, m
		} else {
			l.Query, l.Response = m, w.msg
		}
		p.emit(l)
		return
	}

	w := p.newWaiting()
	w.key, w.msg, w.weight = key, m, weight(m)
	list := append(p.byKey[key], w)
	p.byKey[key] = list
	p.queue = append(p.queue, w)
	p.count++
	p.weight += w.weight
	if len(list) > maxPerTransaction {
		p.drop(list[0])
	}
	for p.count > p.limit || p.weight > p.maxWeight {
		p.expireOne()
	}
}

// take removes and returns the waiting message that m completes: a query for
// a response or a response for a query, with the same question. Among
// several, a response takes the latest query (a retransmission's answer) and
// a query takes the earliest response.
func (p *pairer) take(key transaction, m *Message) *waiting {
	list := p.byKey[key]
	best := -1
	for i, w := range list {
		if w.msg.Response == m.Response || !sameQuestion(w.msg, m) {
			continue
		}
		best = i
		if !m.Response {
			break
		}
	}
	if best < 0 {
		return nil
	}
	w := list[best]
	list = append(list[:best], list[best+1:]...)
	if len(list) == 0 {
		delete(p.byKey, key)
	} else {
		p.byKey[key] = list
	}
	w.done = true
	p.count--
	p.weight -= w.weight
	return w
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
	list := p.byKey[w.key]
	for i, x := range list {
		if x == w {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.byKey, w.key)
	} else {
		p.byKey[w.key] = list
	}
	w.done = true
	p.count--
	p.weight -= w.weight

	l := newLookup()
	l.Transport, l.Path = w.key.transport, w.key.path
	l.Client, l.Server = w.key.client, w.key.server
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

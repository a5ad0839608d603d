package dnsextract

import "sync"

// Messages and lookups are recycled when their consumer releases them
// (Lookup.Release): an ingest decodes millions of them, and allocating each
// anew made the garbage collector the largest cost of an ingest after
// SQLite itself. A message keeps the capacity of its Frames and Records.
var (
	messagePool = sync.Pool{New: func() any { return new(Message) }}
	lookupPool  = sync.Pool{New: func() any { return new(Lookup) }}
)

// maxPooledRecords is the largest Records capacity a recycled message keeps;
// the rare message with more records gives its slice to the collector.
const maxPooledRecords = 64

// newMessage returns an empty message, recycled when one was released.
func newMessage() *Message { return messagePool.Get().(*Message) }

// newLookup returns an empty lookup, recycled when one was released.
func newLookup() *Lookup { return lookupPool.Get().(*Lookup) }

// Release hands a lookup and its messages back for reuse by the extractors.
// It is optional; a caller that calls it must be done with the lookup, its
// messages, their Frames and their Records, which are rewritten afterwards.
// Strings (names, record data) stay valid: they are never rewritten.
func (l *Lookup) Release() {
	for _, m := range [...]*Message{l.Query, l.Response} {
		if m != nil {
			releaseMessage(m)
		}
	}
	*l = Lookup{}
	lookupPool.Put(l)
}

// releaseMessage empties m, keeping its slices' capacity, and pools it.
func releaseMessage(m *Message) {
	frames, records := m.Frames[:0], m.Records
	clear(records) // let go of the strings until reused
	records = records[:0]
	if cap(records) > maxPooledRecords {
		records = nil
	}
	*m = Message{Frames: frames, Records: records}
	messagePool.Put(m)
}

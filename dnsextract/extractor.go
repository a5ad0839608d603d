package dnsextract

import (
	"fmt"
	"slices"
	"time"

	"github.com/gopacket/gopacket"

	"pdnsx/pcapread"
)

// Well-known DNS ports.
const (
	portDNS   = 53
	portMDNS  = 5353 // RFC 6762
	portLLMNR = 5355 // RFC 4795
)

// Defaults for Config's zero fields.
const (
	DefaultPairTimeout = 30 * time.Second
	DefaultMaxPending  = 1 << 16 // 64 MiB of waiting messages, as many held back by a Carry
)

// Config tunes an Extractor. The zero value is ready to use.
type Config struct {
	// Ports lists ports that carry DNS besides 53, 5353 (mDNS) and 5355 (LLMNR).
	Ports []uint16
	// PairTimeout is how long, in capture time, a query waits for its
	// response (and a response for a query captured after it).
	PairTimeout time.Duration
	// MaxPending bounds the messages waiting to be paired, in number and in
	// memory: they may take about MaxPending KiB in all (a query takes
	// about 1 KiB, a response with many records much more). Beyond either
	// bound the oldest is reported alone. The messages held back in the
	// opening window of a Carry (see Stitch) are bounded alike.
	MaxPending int
}

// Extractor turns frames into lookups. Feed it frames in capture order with
// Frame, then call Close, or Carry when the capture is one piece of a larger
// one (see Stitch). It is not safe for concurrent use; run one per
// goroutine.
type Extractor struct {
	sink    Sink
	ports   portSet
	decoder *frameDecoder
	wire    *wireDecoder
	pairs   *pairer
	tcp     tcpTable
	frags   fragTable
	edges   edges
	packet  packet
	stats   Stats
	skipped map[skipReason]int64
}

// New returns an Extractor that reports to sink.
func New(cfg Config, sink Sink) *Extractor {
	if cfg.PairTimeout <= 0 {
		cfg.PairTimeout = DefaultPairTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	x := &Extractor{
		sink:    sink,
		decoder: newFrameDecoder(),
		wire:    newWireDecoder(),
		skipped: make(map[skipReason]int64),
	}
	x.ports.add(portDNS, portMDNS, portLLMNR)
	x.ports.add(cfg.Ports...)
	x.decoder.tun.dns = &x.ports // a DNS port is never taken for a tunnel's
	x.pairs = newPairer(cfg.PairTimeout, cfg.MaxPending, x.emit)
	x.tcp = newTCPTable(cfg.PairTimeout)
	x.frags = newFragTable()
	x.edges.timeout = cfg.PairTimeout
	return x
}

// Frame decodes one frame of the capture with the caller's index capture.
// The frames of one Extractor make one stretch of capture: a file, or
// consecutive files in order. The first opens the window Carry looks at.
func (x *Extractor) Frame(capture int, f *pcapread.Frame) {
	x.stats.Frames++
	x.edges.clock(capture, f.Time, f.Number)
	x.tcp.expire(x, f.Time)
	x.frags.expire(x, f.Time)
	if f.LinkType == linkEthernet && ordinary(f.Data, &x.ports) {
		return // TCP or UDP on ports that are not DNS (ordinary.go)
	}
	p := &x.packet
	reason, ok := x.decoder.decode(f, p)
	if !ok {
		if reason.what != "" {
			x.skipped[reason]++
		}
		return
	}
	p.ref = FrameRef{Capture: capture, Frame: f.Number}
	if p.frag.ok {
		x.fragment(p, x.decoder.path(f.Data))
		return
	}
	if !x.ports.has(p.src.Port()) && !x.ports.has(p.dst.Port()) {
		return
	}
	x.payload(p, x.decoder.path(f.Data))
}

// payload hands the payload of a UDP datagram or TCP segment on a DNS port
// to the message decoder or the stream reassembler.
func (x *Extractor) payload(p *packet, path string) {
	switch p.transport {
	case UDP:
		frames := p.frames
		if frames == nil {
			one := [1]FrameRef{p.ref} // message copies it
			frames = one[:]
		}
		x.message(p.payload, frames, p, path)
	case TCP:
		x.segment(p, path)
	}
}

// message decodes one DNS message that arrived in frames and hands it to the
// pairer, or reports it as malformed. It keeps a copy of frames.
func (x *Extractor) message(payload []byte, frames []FrameRef, p *packet, path string) {
	x.pairs.expire(p.time)
	m, err := x.wire.decode(payload)
	if err != nil {
		x.malformed(payload, frames, p, path, err)
	}
	if m == nil {
		return
	}
	m.Time, m.Src, m.Dst = p.time, p.src, p.dst
	m.Frames = append(m.Frames[:0], frames...)
	x.stats.Messages++

	if multicast(p) {
		l := newLookup()
		l.Transport, l.Unpaired, l.Path = p.transport, true, path
		if m.Response {
			l.Client, l.Server, l.Response = m.Dst, m.Src, m
		} else {
			l.Client, l.Server, l.Query = m.Src, m.Dst, m
		}
		x.emit(l)
		return
	}
	x.offer(m, p.transport, path)
}

// multicast reports whether p is mDNS or LLMNR, which are never paired.
func multicast(p *packet) bool {
	switch {
	case p.src.Port() == portMDNS, p.dst.Port() == portMDNS:
		return true
	case p.src.Port() == portLLMNR, p.dst.Port() == portLLMNR:
		return true
	}
	return false
}

// malformed reports a DNS payload that could not be decoded.
func (x *Extractor) malformed(payload []byte, frames []FrameRef, p *packet, path string,
	err error) {
	x.stats.Malformed++
	keep := payload
	if len(keep) > MaxMalformedPayload {
		keep = keep[:MaxMalformedPayload]
	}
	x.sink.Malformed(&Malformed{
		Time:      p.time,
		Frames:    slices.Clone(frames),
		Transport: p.transport,
		Path:      path,
		Src:       p.src,
		Dst:       p.dst,
		Reason:    err.Error(),
		Payload:   append([]byte(nil), keep...),
	})
}

// emit counts a lookup and hands it to the sink.
func (x *Extractor) emit(l *Lookup) {
	x.stats.Lookups++
	if l.Response != nil {
		x.stats.Records += int64(len(l.Response.Records))
	}
	if l.Unpaired && l.Query != nil {
		x.stats.Records += int64(len(l.Query.Records))
	}
	x.sink.Lookup(l)
}

// Close ends the capture: it reports every message still waiting for its
// other half, every TCP stream's incomplete message and every incomplete
// datagram.
func (x *Extractor) Close() {
	x.Stitch(x.Carry())
	x.tcp.flushAll(x, "end of capture")
	x.frags.flush(x)
	x.pairs.flush()
}

// Stats returns what the Extractor has seen so far.
func (x *Extractor) Stats() Stats {
	s := x.stats
	s.Skipped = make(map[string]int64, len(x.skipped))
	for r, n := range x.skipped {
		s.Skipped[r.String()] += n
	}
	return s
}

// String describes the reason, e.g. "link type 147" or "unsupported MPLS".
func (r skipReason) String() string {
	if r.n < 0 {
		return r.what
	}
	if r.what == "link type" {
		return fmt.Sprintf("link type %d", r.n)
	}
	return r.what + " " + gopacket.LayerType(r.n).String()
}

// portSet is a set of UDP and TCP ports.
type portSet [65536 / 64]uint64

func (s *portSet) add(ports ...uint16) {
	for _, p := range ports {
		s[p/64] |= 1 << (p % 64)
	}
}

func (s *portSet) has(p uint16) bool {
	return s[p/64]&(1<<(p%64)) != 0
}

package capgen

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// baseTime is the capture time of the first frame of every scenario: a
// fixed instant with nanosecond digits, so that microsecond files visibly
// truncate it.
var baseTime = time.Date(2024, 5, 17, 10, 30, 0, 123456789, time.UTC)

// frameGap is the time between frames that a scenario does not space
// explicitly.
const frameGap = 250 * time.Microsecond

// scene is the state of one scenario while it writes: the uncompressed
// capture, the frame builder, the capture clock and the truth so far. The
// first error is kept and later writes are skipped.
type scene struct {
	buf     bytes.Buffer
	pcap    *PcapWriter
	ng      *NgWriter
	iface   int // pcapng interface of the next frame
	framer  Framer
	now     time.Time
	truth   Truth
	offsets []int   // offset in buf of each frame's record
	frames  []Frame // the frames written, as built
	err     error
}

// newScene returns a scene whose clock starts at baseTime.
func newScene() *scene {
	return &scene{now: baseTime, truth: Truth{Status: StatusComplete}}
}

// fail keeps the first error.
func (s *scene) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// usePcap starts a classic pcap capture.
func (s *scene) usePcap(opt PcapOptions) {
	s.pcap, s.err = NewPcapWriter(&s.buf, opt)
}

// usePcapng starts a pcapng capture with the given interfaces in its first
// section.
func (s *scene) usePcapng(bigEndian bool, ifaces ...NgInterface) {
	s.ng, s.err = NewNgWriter(&s.buf, bigEndian)
	s.addInterfaces(ifaces...)
}

// addInterfaces adds interfaces to the current pcapng section.
func (s *scene) addInterfaces(ifaces ...NgInterface) {
	for _, ifc := range ifaces {
		_, err := s.ng.AddInterface(ifc)
		s.fail(err)
	}
}

// after moves the capture clock on.
func (s *scene) after(d time.Duration) {
	s.now = s.now.Add(d)
}

// write writes a frame captured now, then moves the clock on by frameGap.
func (s *scene) write(frame []byte) {
	if s.err != nil {
		return
	}
	s.offsets = append(s.offsets, s.buf.Len())
	s.truth.Frames++
	var link LinkType
	if s.ng != nil {
		s.fail(s.ng.WriteFrame(s.iface, s.now, frame, 0))
		link = s.ng.ifaces[min(s.iface, len(s.ng.ifaces)-1)].LinkType
	} else {
		s.fail(s.pcap.WriteFrame(s.now, frame, 0))
		link = s.pcap.opt.LinkType
	}
	s.frames = append(s.frames, Frame{Time: s.now, LinkType: link, Data: slices.Clone(frame)})
	s.after(frameGap)
}

// pack packs a DNS message and counts it and its records.
func (s *scene) pack(m *dns.Msg) []byte {
	b, err := Pack(m)
	s.fail(err)
	s.truth.Messages++
	s.truth.Records += RecordCount(m)
	return b
}

// udp writes a UDP datagram.
func (s *scene) udp(p *Path, src, dst netip.AddrPort, payload []byte) {
	s.write(s.framer.UDP(p, src, dst, payload))
}

// send writes a DNS message over UDP.
func (s *scene) send(p *Path, src, dst netip.AddrPort, m *dns.Msg) {
	s.udp(p, src, dst, s.pack(m))
}

// malformed writes a UDP payload that is not a DNS message and counts it.
func (s *scene) malformed(p *Path, src, dst netip.AddrPort, payload []byte) {
	if new(dns.Msg).Unpack(payload) == nil {
		s.fail(fmt.Errorf("capgen: malformed payload %x decodes", payload))
	}
	s.truth.Malformed++
	s.udp(p, src, dst, payload)
}

// exchange writes a query from client to server on path p and, rtt later,
// the response on the reverse path; it counts one answered lookup.
func (s *scene) exchange(p *Path, client, server netip.AddrPort, q, r *dns.Msg, rtt time.Duration) {
	s.send(p, client, server, q)
	s.after(rtt - frameGap)
	back := p.Reverse()
	s.send(&back, server, client, r)
	s.truth.Answered++
}

// lookupA is exchange for an A query of name answered with addrs.
func (s *scene) lookupA(p *Path, client, server netip.AddrPort, id uint16, name string,
	addrs ...string) {
	q := NewQuery(id, name, dns.TypeA)
	var answer []dns.RR
	for _, a := range addrs {
		answer = append(answer, MustRR(dns.Fqdn(name)+" 300 IN A "+a))
	}
	s.exchange(p, client, server, q, NewResponse(q, dns.RcodeSuccess, answer...), 3*time.Millisecond)
}

// tcp writes segments of a connection on path p; segments from the server
// use the reverse path.
func (s *scene) tcp(p *Path, segs ...Segment) {
	back := p.Reverse()
	for i := range segs {
		seg := &segs[i]
		path := p
		if !seg.FromClient {
			path = &back
		}
		s.write(s.framer.TCP(path, seg.Src, seg.Dst, &seg.Header, seg.Payload))
	}
}

// bytes returns the uncompressed capture.
func (s *scene) bytes() []byte {
	return s.buf.Bytes()
}

// packIf packs m, counting it only if captured is true: a message in a
// segment that is never written is not in the truth.
func (s *scene) packIf(captured bool, m *dns.Msg) []byte {
	if captured {
		return s.pack(m)
	}
	b, err := Pack(m)
	s.fail(err)
	return b
}

package dnsextract

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"pdnsx/internal/capgen"
	"pdnsx/pcapread"
)

// benchFrames are the frames of BenchmarkFrameDecode: a plain DNS query,
// a plain TCP segment that is not DNS, and DNS in two tunnels.
func benchFrames(b *testing.B) map[string][]byte {
	client := netip.MustParseAddrPort("192.0.2.10:40000")
	server := netip.MustParseAddrPort("198.51.100.53:53")
	web := netip.MustParseAddrPort("198.51.100.80:443")
	query, err := capgen.Pack(capgen.NewQuery(0x1234, "bench.example.com.", dns.TypeA))
	if err != nil {
		b.Fatal(err)
	}
	udp := capgen.AppendIP(nil, client.Addr(), server.Addr(), 1, capgen.ProtoUDP,
		capgen.AppendUDP(nil, client, server, query))
	h := capgen.TCPHeader{Seq: 1000, Ack: 2000, Flags: capgen.ACK | capgen.PSH, Window: 512}
	tcp := capgen.AppendIP(nil, client.Addr(), web.Addr(), 2, capgen.ProtoTCP,
		capgen.AppendTCP(nil, client, web, &h, make([]byte, 1200)))

	link := capgen.Link{Src: capgen.HWAddr{2, 0, 0, 0, 0, 1}, Dst: capgen.HWAddr{2, 0, 0, 0, 0, 2}}
	eth := func(ip []byte) []byte {
		return capgen.AppendEthernet(nil, &link, capgen.IPEtherType(ip), ip)
	}
	a, z := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")
	gre := (&capgen.GRE{HasKey: true, Key: 42}).Append(nil, udp)
	vxlan := capgen.AppendVXLAN(nil, 42, eth(udp))
	return map[string][]byte{
		"plain-dns": eth(udp),
		"plain-tcp": eth(tcp),
		"gre":       eth(capgen.AppendIP(nil, a, z, 3, capgen.ProtoGRE, gre)),
		"vxlan": eth(capgen.AppendIP(nil, a, z, 4, capgen.ProtoUDP, capgen.AppendUDP(nil,
			netip.AddrPortFrom(a, 50000), netip.AddrPortFrom(z, 4789), vxlan))),
	}
}

// BenchmarkFrameDecode measures the frame decoder on one frame as
// Extractor.Frame runs it before the DNS message decoder: the shortcut for
// ordinary traffic (ordinary.go), then decoding to UDP or TCP and, for a DNS
// port, naming the encapsulation path. The parser sub-benchmarks leave the
// shortcut out.
func BenchmarkFrameDecode(b *testing.B) {
	var ports portSet
	ports.add(portDNS, portMDNS, portLLMNR)
	for _, name := range []string{"plain-dns", "plain-tcp", "plain-tcp-parser", "gre", "vxlan"} {
		frame := benchFrames(b)[strings.TrimSuffix(name, "-parser")]
		shortcut := !strings.HasSuffix(name, "-parser")
		b.Run(name, func(b *testing.B) {
			d := newFrameDecoder()
			f := &pcapread.Frame{LinkType: 1, Data: frame}
			var p packet
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if shortcut && ordinary(frame, &ports) {
					continue
				}
				if _, ok := d.decode(f, &p); ok && (p.src.Port() == 53 || p.dst.Port() == 53) {
					d.path(frame)
				}
			}
		})
	}
}

// releasingSink counts lookups and hands them back, as cmd/pdnsx's writer
// does once it has stored them.
type releasingSink struct{ lookups, malformed int }

func (s *releasingSink) Lookup(l *Lookup) { s.lookups++; l.Release() }

func (s *releasingSink) Malformed(*Malformed) { s.malformed++ }

// BenchmarkResolverCapture measures an Extractor over the generator's
// resolver-like capture (the benchmark script's mix, 50,000 lookups, names
// drawn with a Zipf-like popularity): one op is one frame, read from memory,
// decoded, its DNS message decoded and paired.
func BenchmarkResolverCapture(b *testing.B) {
	var capture bytes.Buffer
	if _, err := capgen.WriteResolverBench(&capture, capgen.BenchOptions{Seed: 1,
		Pairs: 50000}); err != nil {
		b.Fatal(err)
	}
	var frames []pcapread.Frame
	rd := pcapread.NewReader(bytes.NewReader(capture.Bytes()), "resolver.pcap")
	for rd.Next() {
		f := *rd.Frame()
		f.Data = bytes.Clone(f.Data)
		frames = append(frames, f)
	}
	if err := rd.Err(); err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	sink := &releasingSink{}
	x := New(Config{}, sink)
	for i := 0; b.Loop(); i++ {
		if i%len(frames) == 0 && i > 0 {
			x.Close()
			x = New(Config{}, sink)
		}
		x.Frame(0, &frames[i%len(frames)])
	}
	x.Close()
}

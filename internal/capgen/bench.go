package capgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Benchmark kinds.
const (
	BenchResolver = "resolver"
	BenchGateway  = "gateway"
)

// Benchmark defaults.
const (
	DefaultResolverPairs = 1_000_000     // lookups of a resolver capture
	DefaultGatewayBytes  = 2_000_000_000 // size of a gateway capture
	resolverClients      = 5000
	resolverNames        = 200_000
	resolverGap          = 500 * time.Microsecond // 2000 lookups a second
	gatewayClients       = 400
	gatewayNames         = 50_000
	gatewayGap           = 2 * time.Millisecond
	gatewayFlows         = 2000
	gatewayDNSPercent    = 3
	benchBufferSize      = 1 << 20
)

// benchStart is the capture time of the first frame of a benchmark capture.
var benchStart = time.Date(2024, 5, 17, 9, 0, 0, 0, time.UTC)

// BenchOptions configures a benchmark capture.
type BenchOptions struct {
	Seed        uint64
	Pairs       int         // resolver: lookups to generate (0 means DefaultResolverPairs)
	Bytes       int64       // gateway: approximate capture size (0 means DefaultGatewayBytes)
	Compression Compression // how to compress the capture
}

// BenchTruth is what a benchmark capture holds, as written to
// FILE.truth.json. Status, Frames and the DNS counts are those of Truth.
type BenchTruth struct {
	Kind        string      `json:"kind"`
	Seed        uint64      `json:"seed"`
	Compression Compression `json:"compression,omitempty"`
	FileSize    int64       `json:"file_size"`  // bytes of the file as stored
	Size        int64       `json:"size"`       // bytes of the capture, uncompressed
	DNSFrames   int64       `json:"dns_frames"` // frames of DNS traffic, TCP control included
	DNSBytes    int64       `json:"dns_bytes"`  // their bytes, pcap record headers included
	Truth
}

// benchOutput writes classic pcap records through a buffer and an
// optional compressor, and counts them.
type benchOutput struct {
	file  *countingWriter
	zw    io.WriteCloser
	buf   *bufio.Writer
	pcap  *PcapWriter
	size  int64
	count int64
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write passes p on and counts it.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Write counts and buffers bytes for the pcap writer.
func (o *benchOutput) Write(p []byte) (int, error) {
	o.size += int64(len(p))
	return o.buf.Write(p)
}

// newBenchOutput starts an Ethernet pcap on w, compressed with c.
func newBenchOutput(w io.Writer, c Compression) (*benchOutput, error) {
	o := &benchOutput{file: &countingWriter{w: w}}
	zw, err := Compress(o.file, c)
	if err != nil {
		return nil, err
	}
	o.zw, o.buf = zw, bufio.NewWriterSize(zw, benchBufferSize)
	o.pcap, err = NewPcapWriter(o, PcapOptions{LinkType: LinkEthernet})
	return o, err
}

// frame writes one record.
func (o *benchOutput) frame(t time.Time, data []byte) error {
	o.count++
	return o.pcap.WriteFrame(t, data, 0)
}

// finish flushes the buffer and fills in the truth's totals.
func (o *benchOutput) finish(bt *BenchTruth, dns *dnsStream) (BenchTruth, error) {
	err := o.buf.Flush()
	if err == nil {
		err = o.zw.Close()
	}
	if err != nil {
		return BenchTruth{}, fmt.Errorf("capgen: %s benchmark: %w", bt.Kind, err)
	}
	bt.FileSize = o.file.n
	bt.Truth = dns.truth
	bt.Status = StatusComplete
	bt.Frames = int(o.count)
	bt.Size = o.size
	return *bt, nil
}

// WriteResolverBench writes the capture of a busy recursive resolver's
// client side: opt.Pairs lookups from thousands of clients over a universe
// of 200,000 names of Zipf-like popularity, IPv4 and some IPv6, some VLAN
// tagged, answers of many types, NXDOMAIN, SERVFAIL and unanswered queries,
// some lookups over TCP (split and combined messages, after truncated UDP
// responses), a few hundred IP-fragmented responses, and rare malformed
// responses. Frames are in time order; round trips take a few
// milliseconds.
func WriteResolverBench(w io.Writer, opt BenchOptions) (BenchTruth, error) {
	pairs := opt.Pairs
	if pairs == 0 {
		pairs = DefaultResolverPairs
	}
	out, err := newBenchOutput(w, opt.Compression)
	if err != nil {
		return BenchTruth{}, err
	}

	d := newDNSStream(opt.Seed, benchStart, pairs, resolverClients, resolverNames, resolverGap)
	bt := BenchTruth{Kind: BenchResolver, Seed: opt.Seed, Compression: opt.Compression}
	if err := out.drainDNS(d, &bt); err != nil {
		return BenchTruth{}, err
	}
	return out.finish(&bt, d)
}

// drainDNS writes the frames left in d.
func (o *benchOutput) drainDNS(d *dnsStream, bt *BenchTruth) error {
	for {
		if _, ok := d.nextTime(); !ok {
			return nil
		}
		if err := o.dnsFrame(d, bt); err != nil {
			return err
		}
	}
}

// dnsFrame writes the next frame of d.
func (o *benchOutput) dnsFrame(d *dnsStream, bt *BenchTruth) error {
	before := o.size
	ev := d.pop()
	err := o.frame(ev.at, ev.frame)
	d.release(ev.frame)
	bt.DNSFrames++
	bt.DNSBytes += o.size - before
	return err
}

// WriteGatewayBench writes the capture of an Internet gateway: ordinary
// TCP traffic of 200 to 1500 byte frames on many flows, with the DNS of the
// resolver benchmark mixed in at about 3% of the bytes, until the capture
// reaches about opt.Bytes. Bulk frames are built in reused buffers.
func WriteGatewayBench(w io.Writer, opt BenchOptions) (BenchTruth, error) {
	size := opt.Bytes
	if size == 0 {
		size = DefaultGatewayBytes
	}
	out, err := newBenchOutput(w, opt.Compression)
	if err != nil {
		return BenchTruth{}, err
	}

	d := newDNSStream(opt.Seed, benchStart, int(^uint(0)>>1), gatewayClients, gatewayNames,
		gatewayGap)
	bulk := newBulkTraffic(opt.Seed, benchStart, gatewayFlows)
	bt := BenchTruth{Kind: BenchGateway, Seed: opt.Seed, Compression: opt.Compression}
	for out.size < size {
		next, _ := d.nextTime()
		if bulk.next.Before(next) {
			if err := out.bulkFrame(bulk, &bt); err != nil {
				return BenchTruth{}, err
			}
			continue
		}
		if err := out.dnsFrame(d, &bt); err != nil {
			return BenchTruth{}, err
		}
	}

	d.stop()
	if err := out.drainDNS(d, &bt); err != nil {
		return BenchTruth{}, err
	}
	return out.finish(&bt, d)
}

// bulkFrame writes the next bulk frame and paces the bulk clock so that DNS
// stays near its share of the bytes.
func (o *benchOutput) bulkFrame(b *bulkTraffic, bt *BenchTruth) error {
	before := o.size
	frame := b.frame()
	if err := o.frame(b.next, frame); err != nil {
		return err
	}

	elapsed := int64(b.next.Sub(benchStart))
	if bt.DNSBytes > 0 && elapsed > int64(time.Second) {
		b.rate = bt.DNSBytes * int64(time.Second) / elapsed *
			(100 - gatewayDNSPercent) / gatewayDNSPercent
	}
	b.next = b.next.Add(time.Duration((o.size - before) * int64(time.Second) / b.rate))
	return nil
}

// bulkFlow is one long TCP connection of the gateway's ordinary traffic.
type bulkFlow struct {
	path, back     Path
	client, server netip.AddrPort
	clientSeq      uint32
	serverSeq      uint32
}

// bulkTraffic generates the gateway's non-DNS frames.
type bulkTraffic struct {
	rng     *rand.Rand
	flows   []bulkFlow
	framer  Framer
	pattern []byte // payload bytes, sliced at the sequence number
	header  TCPHeader
	next    time.Time
	rate    int64 // bytes a second
}

// Bulk frame sizes and pacing.
const (
	bulkHeaders     = 14 + 20 + 20 // Ethernet, IPv4, TCP
	bulkMinFrame    = 200
	bulkMaxFrame    = 1500
	bulkPattern     = 1 << 16
	bulkInitialRate = 6_000_000
)

// newBulkTraffic returns n flows between gateway clients and servers in the
// benchmarking range.
func newBulkTraffic(seed uint64, start time.Time, n int) *bulkTraffic {
	b := &bulkTraffic{
		rng:  rand.New(rand.NewPCG(seed, 0xb01c)),
		next: start, rate: bulkInitialRate,
	}
	b.pattern = make([]byte, bulkPattern+bulkMaxFrame)
	for i := range b.pattern {
		b.pattern[i] = byte(b.rng.Uint32())
	}
	gateway := HWAddr{0x02, 0, 0, 0, 0, 0x01}
	for i := range n {
		f := bulkFlow{
			path: Path{Link: Link{Type: LinkEthernet, Dst: gateway,
				Src: HWAddr{0x02, 0x20, 0, 0, byte(i >> 8), byte(i)}}},
			client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}),
				uint16(40000+b.rng.IntN(20000))),
			server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i&1),
				byte(b.rng.IntN(256)), byte(1 + b.rng.IntN(254))}), 443),
			clientSeq: b.rng.Uint32(), serverSeq: b.rng.Uint32(),
		}
		f.back = f.path.Reverse()
		b.flows = append(b.flows, f)
	}
	return b
}

// frame returns the next bulk frame, valid until the next call: mostly
// server-to-client data of 200 to 1500 bytes, the rest client data and
// acknowledgments padded to the same sizes.
func (b *bulkTraffic) frame() []byte {
	f := &b.flows[b.rng.IntN(len(b.flows))]
	size := bulkMaxFrame
	if b.rng.IntN(5) > 1 {
		size = bulkMinFrame + b.rng.IntN(bulkMaxFrame-bulkMinFrame)
	}
	n := size - bulkHeaders

	b.header = TCPHeader{Flags: ACK | PSH, Window: 65535}
	if b.rng.IntN(5) == 0 {
		b.header.Seq, b.header.Ack = f.clientSeq, f.serverSeq
		f.clientSeq += uint32(n)
		payload := b.pattern[f.clientSeq%bulkPattern:][:n]
		return b.framer.TCP(&f.path, f.client, f.server, &b.header, payload)
	}
	b.header.Seq, b.header.Ack = f.serverSeq, f.clientSeq
	f.serverSeq += uint32(n)
	payload := b.pattern[f.serverSeq%bulkPattern:][:n]
	return b.framer.TCP(&f.back, f.server, f.client, &b.header, payload)
}

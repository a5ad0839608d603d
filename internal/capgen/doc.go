// Package capgen generates packet captures for pdnsx's tests, fuzz seeds and
// benchmarks. It is deterministic: every byte follows from an explicit seed
// (math/rand/v2 PCG) and an explicit base time, never the wall clock or map
// order, so the same call writes the same bytes on any day.
//
// The package has three layers:
//
//   - Encoders that append wire bytes: link layers ([Link]: Ethernet with
//     802.1Q and QinQ tags, Linux cooked SLL and SLL2, raw IP under DLT 101,
//     12, 14, 228 and 229, BSD loopback in either byte order), IPv4 ([IPv4],
//     with options) and IPv6 ([IPv6], with extension headers), UDP and TCP
//     with correct checksums, and IP fragmentation ([FragmentIPv4],
//     [FragmentIPv6]); tunnel headers and uncommon link layers ([GRE],
//     [ERSPAN2], [ERSPAN3], [AppendVXLAN], [Geneve], [GTPU], [AppendTeredo],
//     [AppendMPLS], [AppendPPPoE], [AppendPPP], [AppendCHDLC], [AppendNFLOG],
//     [AppendPKTAP], [AppendRadiotap], [Dot11], [AppendLoop]), stacked by the
//     caller innermost first. [Framer] assembles whole frames in reused buffers;
//     [Conn] keeps the sequence numbers of a TCP connection and returns its
//     segments, for the caller to repeat, reorder or drop.
//   - Capture writers: classic pcap ([PcapWriter]: micro- or nanosecond,
//     either byte order, any link type and snapshot length) and pcapng
//     ([NgWriter]: sections in either byte order, interfaces with their own
//     link type and timestamp resolution), optionally compressed with gzip
//     or zstd ([Compress]).
//   - Scenarios ([Scenarios]): the small crafted captures under
//     testdata/captures, each with its ground truth ([Truth]); and the
//     benchmark captures ([WriteResolverBench], [WriteGatewayBench]) with
//     theirs ([BenchTruth]).
//
// DNS payloads are packed by miekg/dns; [NewQuery], [NewResponse], [SetEDNS]
// and [AllTypesResponse] build the messages the scenarios need.
//
// Limits: IPv6 routing
// headers are written with Segments Left 0, so checksums use the header's
// destination address. Timestamps before 1970 are not supported; pcapng
// resolutions finer than 10^-9 s or 2^-32 s are refused.
package capgen

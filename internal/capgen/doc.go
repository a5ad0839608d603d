// Package capgen generates packet captures for pdnsx's tests, fuzz seeds and
// benchmarks. It is deterministic: every byte follows from an explicit seed
// and an explicit base time, so the same call writes the same file on any
// machine and any day.
//
// The package has three layers:
//
//   - Encoders that append wire bytes: link layers ([Link]: Ethernet with
//     802.1Q and QinQ tags, Linux cooked SLL and SLL2, raw IP, BSD loopback),
//     IPv4 ([IPv4]) and IPv6 ([IPv6], with extension headers), UDP and TCP
//     with correct checksums, and IP fragmentation ([FragmentIPv4],
//     [FragmentIPv6]). [Conn] keeps the sequence numbers of a TCP connection
//     and cuts DNS messages into segments.
//   - Capture writers: classic pcap ([PcapWriter]) and pcapng ([NgWriter]),
//     optionally compressed ([Compress]).
//   - Scenarios ([Scenarios]) that write the small crafted captures under
//     testdata/captures with their ground truth ([Truth]), and the benchmark
//     generators ([WriteResolverBench], [WriteGatewayBench]).
//
// DNS payloads are packed by miekg/dns; the helpers in dns.go build the
// queries and responses the scenarios need.
//
// Limits: NFLOG (DLT 239) and DLT_LOOP (108) are not generated. IPv6 routing
// headers are written with Segments Left 0, so the UDP and TCP checksums use
// the header's destination address. Timestamps before 1970 are not
// supported.
package capgen

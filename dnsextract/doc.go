// Package dnsextract finds DNS in captured frames: it decodes link layers
// (Ethernet, 802.1Q and QinQ, Linux cooked SLL and SLL2, raw IP, BSD
// loopback), IPv4 and IPv6 with extension headers, UDP and TCP, unpacks the
// DNS messages on the DNS ports, and pairs queries with responses by flow,
// transaction ID and question, as Zeek does. Multicast DNS and LLMNR messages
// are recorded but never paired.
//
// DNS is found inside tunnels in any nesting, up to 16 tunnel or link
// headers: GRE (with PPTP's enhanced GRE), ERSPAN types I to III, EtherIP,
// VXLAN, Geneve, GTP-U, Teredo, IP in IP, MPLS, PPPoE and PPP; and on the
// PPP, Cisco HDLC, NFLOG, PKTAP, OpenBSD loopback and 802.11 link types,
// with or without radiotap. The UDP tunnels are entered by their standard
// destination port (either port for Teredo), never when a port is a DNS
// port. Lookup.Path records the encapsulation, with the identifiers both
// directions of a flow share (VLAN, GRE key, VXLAN and Geneve VNI, PPPoE and
// ERSPAN session); a frame whose encapsulation is not decoded is counted in
// Stats.Skipped by reason. Plain Ethernet frames of TCP or UDP between ports
// that are not DNS, most of a gateway's traffic, are recognised from a few
// header fields and passed over before the layer parser (ordinary.go).
//
// An Extractor is fed frames in capture order and reports lookups and
// malformed payloads to a Sink. All its state (pending queries, streams,
// fragments) is bounded and expires on capture time, never on the wall clock,
// so the same frames give the same lookups on any machine. A Sink that is
// done with a lookup may Release it, and the extractors reuse its messages;
// the strings it holds (names, record data) stay valid.
//
// DNS over TCP is reassembled for each direction of a connection (RFC 7766):
// segments are put in order by sequence number, retransmitted bytes dropped,
// and the messages framed by their two-byte length, several in a segment or
// one across many. A message gets the capture time of the segment that
// completed it and lists every frame that brought its bytes. IPv4 and IPv6
// fragments (RFC 791, RFC 8200) are reassembled for DNS over UDP and TCP; the
// message lists all the fragments' frames. The pieces of one capture cut into
// several files are read one Extractor per file; Carry and Stitch pair and
// reassemble across the cuts (see Extractor.Stitch).
//
// Limits of reassembly:
//
//   - A stream whose SYN was not captured, or that lost bytes, is framed
//     again from the next plausible message boundary: a length, a sane
//     header and a whole message that decodes. The bytes skipped, and a
//     message cut by a hole, are reported as malformed with their frames; a
//     message lost whole in a hole leaves no trace.
//   - A hole is established when the peer acknowledges bytes never seen,
//     when 128 KiB wait behind it (each segment waiting counts 96 bytes
//     besides its data), or when the stream ends. A capture merged
//     from several interfaces, where data may come after its acknowledgement,
//     shows false holes there. Retransmitted bytes that differ from the first
//     copy are ignored.
//   - At most 65536 streams and 64 MiB of stream data are kept, each
//     segment buffered counting 96 bytes besides its data; beyond, the least
//     recently active stream is dropped and its incomplete message reported.
//     A stream idle for PairTimeout of capture time is dropped.
//   - A datagram waits 30 s of capture time for its fragments; at most 4096
//     datagrams, 64 between two addresses and 16 MiB are kept, each fragment
//     counting 96 bytes besides its data, the oldest dropped beyond. Its fragments are kept until the first fragment shows
//     the ports; fragments of other traffic are dropped from then on.
//     Fragments that overlap with different bytes reject the datagram. An
//     incomplete datagram is reported as malformed when its first fragment
//     showed a DNS port, else counted in Stats.Skipped.
//   - At most Config.MaxPending messages wait to be paired, weighing about
//     MaxPending KiB in all, and at most 64 of one transaction (the same
//     flow, encapsulation and ID: a query retransmitted from the same port);
//     beyond, the oldest is reported alone.
//
// Limits of tunnel decoding:
//
//   - A tunnel packet fragmented by its outer IP header is not decoded: IP
//     reassembly keeps only datagrams to or from a DNS port.
//   - MPLS labels, GTP-U TEIDs and PPTP call IDs differ per direction, so
//     they are not in the path, which is part of the pairing key: two label
//     switched paths or bearers that carry the same addresses, ports and
//     transaction ID pair across each other. GRE keys that differ per
//     direction keep a query from its response.
//   - UDP tunnels on other ports, L2TP, GUE and NSH are not decoded.
//
// The package knows nothing of SQL or of the terminal.
package dnsextract

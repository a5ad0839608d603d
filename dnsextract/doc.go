// Package dnsextract finds DNS in captured frames: it decodes link layers
// (Ethernet, 802.1Q and QinQ, Linux cooked SLL and SLL2, raw IP, BSD
// loopback), IPv4 and IPv6 with extension headers, UDP and TCP, unpacks the
// DNS messages on the DNS ports, and pairs queries with responses by flow,
// transaction ID and question, as Zeek does. Multicast DNS and LLMNR messages
// are recorded but never paired.
//
// An Extractor is fed frames in capture order and reports lookups and
// malformed payloads to a Sink. All its state (pending queries, streams,
// fragments) is bounded and expires on capture time, never on the wall clock,
// so the same frames give the same lookups on any machine.
//
// The package knows nothing of SQL or of the terminal.
package dnsextract

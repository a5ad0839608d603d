package dnsextract

import (
	"net/netip"
	"testing"
)

// TestTransaction checks that a packed transaction gives back what it was
// made of, and that transactions differing in any part are different keys,
// IPv4 and IPv4-mapped IPv6 addresses included.
func TestTransaction(t *testing.T) {
	ap := netip.MustParseAddrPort
	base := struct {
		transport      Transport
		path           string
		client, server netip.AddrPort
		id             uint16
	}{UDP, "eth/ipv4/udp", ap("192.0.2.1:53124"), ap("198.51.100.53:53"), 0xbeef}

	tests := []struct {
		name           string
		transport      Transport
		path           string
		client, server netip.AddrPort
		id             uint16
	}{
		{"base", base.transport, base.path, base.client, base.server, base.id},
		{"tcp", TCP, base.path, base.client, base.server, base.id},
		{"path", base.transport, "eth/vlan/ipv4/udp", base.client, base.server, base.id},
		{"id", base.transport, base.path, base.client, base.server, 0},
		{"client port", base.transport, base.path, ap("192.0.2.1:53125"), base.server, base.id},
		{"server port", base.transport, base.path, base.client, ap("198.51.100.53:5353"),
			base.id},
		{"swapped", base.transport, base.path, base.server, base.client, base.id},
		{"mapped client", base.transport, base.path, ap("[::ffff:192.0.2.1]:53124"),
			base.server, base.id},
		{"mapped server", base.transport, base.path, base.client,
			ap("[::ffff:198.51.100.53]:53"), base.id},
		{"ipv6", base.transport, "eth/ipv6/udp", ap("[2001:db8::1]:40000"),
			ap("[2001:db8::53]:53"), 0xffff},
		{"invalid client", base.transport, base.path, netip.AddrPort{}, base.server, base.id},
		{"invalid server", base.transport, base.path, base.client, netip.AddrPort{}, base.id},
		{"zero ipv4", base.transport, base.path, ap("0.0.0.0:0"), base.server, base.id},
		{"zero ipv6", base.transport, base.path, ap("[::]:0"), base.server, base.id},
	}
	seen := make(map[transaction]string)
	for _, tt := range tests {
		key := newTransaction(tt.transport, tt.path, tt.client, tt.server, tt.id)
		if got := key.transport(); got != tt.transport {
			t.Errorf("%s: transport %v, want %v", tt.name, got, tt.transport)
		}
		if key.path != tt.path {
			t.Errorf("%s: path %q, want %q", tt.name, key.path, tt.path)
		}
		if got := key.client(); got != tt.client {
			t.Errorf("%s: client %v, want %v", tt.name, got, tt.client)
		}
		if got := key.server(); got != tt.server {
			t.Errorf("%s: server %v, want %v", tt.name, got, tt.server)
		}
		if other, ok := seen[key]; ok {
			t.Errorf("%s: same key as %s", tt.name, other)
		}
		seen[key] = tt.name
	}
}

package capgen

import (
	"net/netip"
	"strconv"
)

// Hosts of the scenarios, in the documentation ranges (RFC 5737, RFC 3849).
var (
	clientMAC = HWAddr{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}
	routerMAC = HWAddr{0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe}

	client4  = netip.MustParseAddr("192.0.2.100")
	client4b = netip.MustParseAddr("192.0.2.101")
	server4  = netip.MustParseAddr("198.51.100.53")
	client6  = netip.MustParseAddr("2001:db8:1::100")
	server6  = netip.MustParseAddr("2001:db8:53::53")
)

// DNS ports.
const (
	portDNS   = 53
	portMDNS  = 5353
	portLLMNR = 5355
)

// ap joins an address and a port.
func ap(a netip.Addr, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(a, port)
}

// ethPath returns the Ethernet path from the client to its router.
func ethPath() *Path {
	return &Path{Link: Link{Type: LinkEthernet, Src: clientMAC, Dst: routerMAC}}
}

// linkPath returns a path with a link layer of type t and the scenario
// hosts' Ethernet addresses, sent by the capturing host.
func linkPath(t LinkType) *Path {
	return &Path{Link: Link{
		Type: t, Src: clientMAC, Dst: routerMAC, PacketType: PacketOutgoing, IfIndex: 2,
	}}
}

// clientPort returns a distinct ephemeral client port for the n-th lookup of
// a scenario.
func clientPort(n int) uint16 {
	return uint16(49152 + 7919*n%16384)
}

// itoa formats an int in decimal.
func itoa(n int) string {
	return strconv.Itoa(n)
}

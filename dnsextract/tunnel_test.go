package dnsextract

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"pdnsx/internal/capgen"
	"pdnsx/pcapread"
)

// Frames for the tunnel tests, built with capgen's encoders.

var (
	tunClient = netip.MustParseAddrPort("192.0.2.10:40000")
	tunServer = netip.MustParseAddrPort("198.51.100.53:53")
	tunA      = netip.MustParseAddr("203.0.113.1")
	tunB      = netip.MustParseAddr("203.0.113.2")
)

// dnsQuery returns a packed A query.
func dnsQuery(t testing.TB, id uint16, name string) []byte {
	t.Helper()
	b, err := capgen.Pack(capgen.NewQuery(id, name, dns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// udpPacket returns an IPv4 or IPv6 packet carrying a UDP datagram.
func udpPacket(src, dst netip.AddrPort, payload []byte) []byte {
	return capgen.AppendIP(nil, src.Addr(), dst.Addr(), 1, capgen.ProtoUDP,
		capgen.AppendUDP(nil, src, dst, payload))
}

// queryPacket is an IPv4 packet with a DNS query from tunClient.
func queryPacket(t testing.TB) []byte {
	return udpPacket(tunClient, tunServer, dnsQuery(t, 0x4242, "tunnel.example.com."))
}

// ethernet returns an Ethernet frame of the given EtherType (0: by the IP
// version of payload).
func ethernet(ethertype uint16, payload []byte, vlans ...uint16) []byte {
	if ethertype == 0 {
		ethertype = capgen.IPEtherType(payload)
	}
	l := capgen.Link{Src: capgen.HWAddr{2, 0, 0, 0, 0, 1}, Dst: capgen.HWAddr{2, 0, 0, 0, 0, 2},
		VLANs: vlans}
	return capgen.AppendEthernet(nil, &l, ethertype, payload)
}

// overIP wraps payload of protocol proto in an IPv4 header between the
// tunnel endpoints, and in Ethernet.
func overIP(proto uint8, payload []byte) []byte {
	return ethernet(0, capgen.AppendIP(nil, tunA, tunB, 9, proto, payload))
}

// overUDP wraps payload in UDP between the tunnel endpoints, to dport.
func overUDP(sport, dport uint16, payload []byte) []byte {
	return ethernet(0, udpPacket(netip.AddrPortFrom(tunA, sport),
		netip.AddrPortFrom(tunB, dport), payload))
}

func gre(g capgen.GRE, payload []byte) []byte {
	return overIP(capgen.ProtoGRE, g.Append(nil, payload))
}

// extract runs frames of one link type through an Extractor.
func extract(t testing.TB, cfg Config, link pcapread.LinkType,
	frames ...[]byte) (*collector, Stats) {
	t.Helper()
	c := &collector{}
	x := New(cfg, c)
	at := time.Date(2024, 5, 17, 10, 0, 0, 0, time.UTC)
	for i, data := range frames {
		x.Frame(0, &pcapread.Frame{Number: int64(i + 1), Time: at, LinkType: link, Data: data})
		at = at.Add(time.Millisecond)
	}
	x.Close()
	return c, x.Stats()
}

// skipCase is a frame and what decoding it must give: a DNS message found
// on path, or a skip reason, or neither (ordinary traffic).
type skipCase struct {
	name   string
	link   pcapread.LinkType
	frame  []byte
	path   string // the path of the message found, or ""
	reason string // the skip reason, or ""
}

// TestTunnelFrames checks, frame by frame, what tunnel and link headers
// lead to: the DNS message inside, or a counted reason, or nothing for the
// control traffic of a tunnel.
func TestTunnelFrames(t *testing.T) {
	q := queryPacket(t)
	for _, tc := range tunnelCases(t, q) {
		t.Run(tc.name, func(t *testing.T) {
			c, stats := extract(t, Config{}, tc.link, tc.frame)
			var path string
			if len(c.lookups) == 1 {
				path = c.lookups[0].Path
			}
			if path != tc.path || len(c.lookups) > 1 {
				t.Errorf("found %d lookups on path %q, want one on %q", len(c.lookups), path,
					tc.path)
			}
			var reasons []string
			for r, n := range stats.Skipped {
				reasons = append(reasons, r)
				if n != 1 {
					t.Errorf("reason %q counted %d times, want once", r, n)
				}
			}
			if got := strings.Join(reasons, ";"); got != tc.reason {
				t.Errorf("skipped for %q, want %q", got, tc.reason)
			}
		})
	}
}

// tunnelCases are the frames of TestTunnelFrames; q is an IPv4 packet with
// a DNS query.
func tunnelCases(t *testing.T, q []byte) []skipCase {
	eth := func(name, path string, frame []byte) skipCase {
		return skipCase{name: name, link: 1, frame: frame, path: path}
	}
	skip := func(name, reason string, frame []byte) skipCase {
		return skipCase{name: name, link: 1, frame: frame, reason: reason}
	}
	pppoe := func(ppp []byte) []byte {
		return ethernet(capgen.EtherPPPoE, capgen.AppendPPPoE(nil, 7, ppp))
	}
	labels := make([]uint32, 20)
	deepIP := q
	for range 40 {
		deepIP = capgen.AppendIP(nil, tunA, tunB, 1, capgen.ProtoIPIP, deepIP)
	}
	return []skipCase{
		eth("gre key", "eth/ipv4/gre:9/ipv4/udp", gre(capgen.GRE{HasKey: true, Key: 9}, q)),
		eth("gre in gre", "eth/ipv4/gre/ipv4/gre:1/ipv4/udp",
			gre(capgen.GRE{}, capgen.AppendIP(nil, tunA, tunB, 2, capgen.ProtoGRE,
				(&capgen.GRE{HasKey: true, Key: 1}).Append(nil, q)))),
		skip("gre wccp", "gre protocol 0x883e", gre(capgen.GRE{Protocol: 0x883e}, q)),
		skip("gre version 2", "gre version 2", overIP(capgen.ProtoGRE,
			append([]byte{0, 2, 8, 0}, q...))),
		skip("gre cut short", "undecodable after IPv4",
			overIP(capgen.ProtoGRE, []byte{0x20, 0, 8, 0})),
		eth("gre keepalive", "", gre(capgen.GRE{Protocol: 0x0800}, nil)),
		eth("pppoe", "eth/pppoe:7/ppp/ipv4/udp", pppoe(capgen.AppendPPP(nil, false, false,
			capgen.PPPIPv4, q))),
		eth("pppoe lcp", "", pppoe(capgen.AppendPPP(nil, false, false, capgen.PPPLCP,
			[]byte{1, 1, 0, 4}))),
		skip("pppoe compressed", "ppp protocol 0x00fd", pppoe(capgen.AppendPPP(nil, false,
			false, 0x00fd, []byte{1, 2, 3}))),
		skip("ppp protocol field", "ppp protocol field bad", pppoe([]byte{0x00, 0x20, 1})),
		eth("pppoe discovery", "", ethernet(capgen.EtherPPPoEDis,
			[]byte{0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0})),
		skip("mpls payload", "mpls payload not ip or ethernet", ethernet(capgen.EtherMPLS,
			capgen.AppendMPLS(nil, []uint32{16}, false, []byte{0x90, 1, 2, 3}))),
		eth("mpls oam", "", ethernet(capgen.EtherMPLS,
			capgen.AppendMPLS(nil, []uint32{13}, false, []byte{0x10, 0, 0, 0x21, 1}))),
		skip("mpls too deep", reasonTooDeep, ethernet(capgen.EtherMPLS,
			capgen.AppendMPLS(nil, labels, false, q))),
		skip("ip in ip too deep", reasonTooManyLayers, ethernet(0, deepIP)),
		eth("gtp echo", "", overUDP(2152, 2152,
			(&capgen.GTPU{MessageType: 1, HasSeq: true}).Append(nil, nil))),
		skip("gtp not ip", "gtp-u payload not ip", overUDP(2152, 2152,
			(&capgen.GTPU{TEID: 1}).Append(nil, []byte{0x11, 2, 3}))),
		skip("gtp version 2", "gtp-u header bad", overUDP(2152, 2152,
			[]byte{0x48, 0xff, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0})),
		skip("gtp extension cut", "gtp-u header bad", overUDP(2152, 2152,
			[]byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 3, 0})),
		skip("vxlan no I flag", "vxlan header without the I flag",
			overUDP(5000, 4789, setByte(capgen.AppendVXLAN(nil, 1, ethernet(0, q)), 0, 0))),
		skip("geneve arp", "geneve protocol 0x0806", overUDP(5000, 6081,
			(&capgen.Geneve{VNI: 3, Protocol: 0x0806}).Append(nil, q))),
		skip("teredo not ipv6", "teredo payload not ipv6", overUDP(5000, 3544, q)),
		eth("teredo empty", "", overUDP(5000, 3544, nil)),
		eth("teredo bubble", "", overUDP(5000, 3544, capgen.AppendIP(nil,
			netip.MustParseAddr("2001:0:d5d:a599::1"), netip.MustParseAddr("ff02::1"), 0,
			59, nil))),
		skip("erspan frame type", "erspan frame type 5", gre(capgen.GRE{
			Protocol: capgen.EtherERSPAN3, HasSeq: true},
			(&capgen.ERSPAN3{FrameType: 5}).Append(nil, q))),
		eth("erspan3 ip", "eth/ipv4/gre/erspan:3/ipv4/udp", gre(capgen.GRE{
			Protocol: capgen.EtherERSPAN3, HasSeq: true},
			(&capgen.ERSPAN3{Session: 3, FrameType: 2}).Append(nil, q))),
		eth("etherip", "eth/ipv4/etherip/eth/vlan:5/ipv4/udp", overIP(capgen.ProtoEtherIP,
			append([]byte{0x30, 0}, ethernet(0, q, 5)...))),
		skip("etherip version", "etherip version 1", overIP(capgen.ProtoEtherIP,
			append([]byte{0x10, 0}, ethernet(0, q)...))),
		eth("llc snap", "eth/ipv4/udp", ethernet(uint16(len(q)+8),
			capgen.AppendLLCSNAP(nil, capgen.EtherIPv4, q))),
		eth("llc stp", "", ethernet(38, append([]byte{0x42, 0x42, 0x03}, make([]byte, 35)...))),
		skipCase{name: "ppp serial", link: 50, frame: capgen.AppendPPP(nil, true, false,
			capgen.PPPIPv4, q), path: "ppp/ipv4/udp"},
		skipCase{name: "chdlc slarp", link: 104, frame: capgen.AppendCHDLC(nil, 0x8035,
			make([]byte, 16))},
		skipCase{name: "chdlc other", link: 104, frame: capgen.AppendCHDLC(nil, 0x9000, q),
			reason: "cisco hdlc protocol 0x9000"},
		skipCase{name: "nflog big-endian host", link: 239,
			frame: capgen.AppendNFLOG(nil, 1, "x", q, true), path: "nflog/ipv4/udp"},
		skipCase{name: "nflog no payload", link: 239,
			frame:  capgen.AppendNFLOG(nil, 1, "x", nil, false)[:12],
			reason: "nflog without payload"},
		skipCase{name: "pktap unknown link", link: 258,
			frame:  capgen.AppendPKTAP(nil, 147, "utun0", 1, "x", q),
			reason: "pktap link type 147"},
		skipCase{name: "pktap as user2", link: 149, path: "pktap/eth/ipv4/udp",
			frame: capgen.AppendPKTAP(nil, capgen.LinkEthernet, "en0", 1, "x", ethernet(0, q))},
		skipCase{name: "radiotap bad", link: 127, frame: []byte{0, 0, 200, 0, 0, 0, 0, 0},
			reason: "radiotap header bad"},
		skipCase{name: "radiotap no fcs", link: 127, path: "radiotap/wlan/ipv4/udp",
			frame: capgen.AppendRadiotap(nil, 1, false, dot11(capgen.Dot11{ToDS: true}, q))},
		skipCase{name: "wlan with fcs", link: 105, path: "wlan/ipv4/udp",
			frame: append(dot11(capgen.Dot11{ToDS: true}, q), 0xde, 0xad, 0xbe, 0xef)},
		skipCase{name: "wlan protected", link: 105, reason: "wlan frame protected",
			frame: dot11(capgen.Dot11{ToDS: true, Protected: true}, q)},
		skipCase{name: "wlan beacon", link: 105,
			frame: append([]byte{0x80, 0}, make([]byte, 40)...)},
		skipCase{name: "wlan null data", link: 105,
			frame: append([]byte{0x48, 1}, make([]byte, 22)...)},
		skipCase{name: "wlan a-msdu", link: 105, reason: "wlan a-msdu",
			frame: setByte(dot11(capgen.Dot11{ToDS: true, QoS: true}, q), 24, 0x80)},
		skipCase{name: "wlan fragment", link: 105, reason: "wlan fragment",
			frame: setByte(dot11(capgen.Dot11{ToDS: true}, q), 1, 0x05)},
		skipCase{name: "null with cisco hdlc", link: 0, path: "chdlc/ipv4/udp",
			frame: capgen.AppendCHDLC(nil, capgen.EtherIPv4, q)},
		skipCase{name: "null with ppp", link: 0, path: "ppp/ipv4/udp",
			frame: capgen.AppendPPP(nil, true, false, capgen.PPPIPv4, q)},
		skipCase{name: "loop is not null", link: 108, reason: "undecodable after Unknown",
			frame: capgen.AppendCHDLC(nil, capgen.EtherIPv4, q)},
		skipCase{name: "unknown link type", link: 147, frame: q, reason: "link type 147"},
	}
}

// dot11 returns an 802.11 data frame carrying the IPv4 packet q.
func dot11(h capgen.Dot11, q []byte) []byte {
	return h.Append(nil, capgen.EtherIPv4, q)
}

// setByte returns b with b[i] set to v.
func setByte(b []byte, i int, v byte) []byte {
	b[i] = v
	return b
}

// TestTunnelPortsYieldToDNS checks that a DNS datagram to or from a port
// that a UDP tunnel uses is DNS, whichever side the port is on, and that a
// configured DNS port wins over a tunnel port too.
func TestTunnelPortsYieldToDNS(t *testing.T) {
	for _, port := range []uint16{2152, 3544, 4789, 6081} {
		t.Run(strconv.Itoa(int(port)), func(t *testing.T) {
			client := netip.AddrPortFrom(tunClient.Addr(), port)
			query := dnsQuery(t, 0x0101, "port.example.com.")
			resp, err := capgen.Pack(capgen.NewResponse(
				capgen.NewQuery(0x0101, "port.example.com.", dns.TypeA), dns.RcodeSuccess))
			if err != nil {
				t.Fatal(err)
			}
			c, stats := extract(t, Config{}, 1, ethernet(0, udpPacket(client, tunServer, query)),
				ethernet(0, udpPacket(tunServer, client, resp)))
			if len(c.lookups) != 1 || c.lookups[0].Kind() != Answered ||
				c.lookups[0].Path != "eth/ipv4/udp" || len(stats.Skipped) != 0 {
				t.Errorf("got %d lookups (%v), skipped %v; want one answered on eth/ipv4/udp",
					len(c.lookups), kinds(c.lookups), stats.Skipped)
			}

			// The same datagram to a configured DNS port that is the tunnel's.
			other := netip.AddrPortFrom(tunServer.Addr(), port)
			frame := ethernet(0, udpPacket(tunClient, other, query))
			c, _ = extract(t, Config{Ports: []uint16{port}}, 1, frame)
			if len(c.lookups) != 1 || c.lookups[0].Path != "eth/ipv4/udp" {
				t.Errorf("with port %d configured: %d lookups, want one on eth/ipv4/udp",
					port, len(c.lookups))
			}
		})
	}
}

func kinds(ls []*Lookup) []string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Kind().String()+" "+l.Path)
	}
	return s
}

// TestTunnelPairsAcrossDirections checks that a query and its response
// pair when their tunnel headers differ by direction in what the path
// leaves out: MPLS labels and the depth of the label stack, GTP-U TEIDs.
func TestTunnelPairsAcrossDirections(t *testing.T) {
	query := dnsQuery(t, 0x0202, "pair.example.com.")
	resp, err := capgen.Pack(capgen.NewResponse(
		capgen.NewQuery(0x0202, "pair.example.com.", dns.TypeA), dns.RcodeSuccess))
	if err != nil {
		t.Fatal(err)
	}
	q, r := udpPacket(tunClient, tunServer, query), udpPacket(tunServer, tunClient, resp)
	tests := []struct {
		name       string
		out, back  []byte
		wantedPath string
	}{
		{"mpls", ethernet(capgen.EtherMPLS, capgen.AppendMPLS(nil, []uint32{16, 17}, false, q)),
			ethernet(capgen.EtherMPLS, capgen.AppendMPLS(nil, []uint32{99}, false, r)),
			"eth/mpls/ipv4/udp"},
		{"gtp", overUDP(2152, 2152, (&capgen.GTPU{TEID: 1}).Append(nil, q)),
			overUDP(2152, 2152, (&capgen.GTPU{TEID: 2, QFI: 5}).Append(nil, r)),
			"eth/ipv4/udp/gtp/ipv4/udp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := extract(t, Config{}, 1, tc.out, tc.back)
			if len(c.lookups) != 1 || c.lookups[0].Kind() != Answered ||
				c.lookups[0].Path != tc.wantedPath {
				t.Errorf("got %v, want one answered lookup on %s", kinds(c.lookups), tc.wantedPath)
			}
		})
	}
}

// TestTunnelDecodeAllocs checks that decoding a frame and naming its path
// allocate nothing once the path has been seen, plain or tunnelled.
func TestTunnelDecodeAllocs(t *testing.T) {
	q := queryPacket(t)
	frames := map[string][]byte{
		"plain": ethernet(0, q),
		"gre":   gre(capgen.GRE{HasKey: true, Key: 3}, q),
		"vxlan": overUDP(5000, 4789, capgen.AppendVXLAN(nil, 7, ethernet(0, q, 12))),
		"geneve": overUDP(5000, 6081, (&capgen.Geneve{VNI: 1, Protocol: 0x0800,
			Options: []byte{0, 1, 2, 1, 0, 0, 0, 0}}).Append(nil, q)),
		"gtp": overUDP(2152, 2152,
			(&capgen.GTPU{TEID: 1, HasSeq: true, QFI: 9}).Append(nil, q)),
		"mpls":    ethernet(capgen.EtherMPLS, capgen.AppendMPLS(nil, []uint32{1, 2, 3}, false, q)),
		"skipped": gre(capgen.GRE{Protocol: 0x883e}, q),
	}
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			d := newFrameDecoder()
			f := &pcapread.Frame{LinkType: 1, Data: frame}
			var p packet
			d.decode(f, &p)
			d.path(frame)
			allocs := testing.AllocsPerRun(100, func() {
				if _, ok := d.decode(f, &p); ok {
					d.path(frame)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per frame, want 0", allocs)
			}
		})
	}
}

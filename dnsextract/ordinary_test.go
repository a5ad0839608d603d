package dnsextract

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"

	"pdnsx/internal/capgen"
	"pdnsx/internal/corpus"
	"pdnsx/pcapread"
)

// ordinaryFrames are Ethernet frames for TestOrdinary, each with whether
// ordinary passes it over.
func ordinaryFrames(t testing.TB) []struct {
	name  string
	frame []byte
	want  bool
} {
	v4 := netip.MustParseAddrPort("192.0.2.10:40000")
	web4 := netip.MustParseAddrPort("198.51.100.80:443")
	dns4 := netip.MustParseAddrPort("198.51.100.53:53")
	v6 := netip.MustParseAddrPort("[2001:db8::10]:40000")
	web6 := netip.MustParseAddrPort("[2001:db8::80]:443")
	query, err := capgen.Pack(capgen.NewQuery(0x1234, "ordinary.example.com.", dns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 600)
	h := capgen.TCPHeader{Seq: 1000, Ack: 2000, Flags: capgen.ACK | capgen.PSH, Window: 512}
	tcp := func(src, dst netip.AddrPort) []byte {
		return capgen.AppendIP(nil, src.Addr(), dst.Addr(), 7, capgen.ProtoTCP,
			capgen.AppendTCP(nil, src, dst, &h, body))
	}
	udp := func(src, dst netip.AddrPort, payload []byte) []byte {
		return capgen.AppendIP(nil, src.Addr(), dst.Addr(), 7, capgen.ProtoUDP,
			capgen.AppendUDP(nil, src, dst, payload))
	}
	link := capgen.Link{Src: capgen.HWAddr{2, 0, 0, 0, 0, 1}, Dst: capgen.HWAddr{2, 0, 0, 0, 0, 2}}
	eth := func(ip []byte, vlans ...uint16) []byte {
		l := link
		l.VLANs = vlans
		return capgen.AppendEthernet(nil, &l, capgen.IPEtherType(ip), ip)
	}
	// edit returns a copy of an Ethernet frame of IPv4 with f applied to its IP packet.
	edit := func(frame []byte, f func(ip []byte) []byte) []byte {
		out := append([]byte(nil), frame[:14]...)
		return append(out, f(append([]byte(nil), frame[14:]...))...)
	}
	plain4 := eth(tcp(v4, web4))
	port := func(n uint16) netip.AddrPort { return netip.AddrPortFrom(web4.Addr(), n) }

	return []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"tcp over ipv4", plain4, true},
		{"tcp over ipv6", eth(tcp(v6, web6)), true},
		{"udp over ipv4", eth(udp(v4, web4, body)), true},
		{"udp over ipv6", eth(udp(v6, web6, body)), true},
		{"one vlan tag", eth(tcp(v4, web4), 101), true},
		{"two vlan tags", eth(tcp(v4, web4), 101, 202), true},
		{"ethernet padding", append(eth(udp(v4, web4, nil)), make([]byte, 20)...), true},
		{"udp length zero", edit(eth(udp(v4, web4, body)), func(ip []byte) []byte {
			binary.BigEndian.PutUint16(ip[24:], 0)
			return ip
		}), true},

		{"three vlan tags", eth(tcp(v4, web4), 101, 202, 303), false},
		{"dns over udp", eth(udp(v4, dns4, query)), false},
		{"dns over tcp", eth(tcp(v4, dns4)), false},
		{"dns source port", eth(tcp(dns4, v4)), false},
		{"mdns", eth(udp(v4, port(5353), query)), false},
		{"llmnr", eth(udp(v4, port(5355), query)), false},
		{"vxlan port", eth(udp(v4, port(4789), body)), false},
		{"geneve port", eth(udp(v4, port(6081), body)), false},
		{"gtp-u port", eth(udp(v4, port(2152), body)), false},
		{"teredo source port", eth(udp(netip.AddrPortFrom(v4.Addr(), 3544), web4, body)), false},
		{"more fragments", edit(plain4, func(ip []byte) []byte { ip[6] |= 0x20; return ip }), false},
		{"fragment offset", edit(plain4, func(ip []byte) []byte { ip[7] = 1; return ip }), false},
		{"ipv4 options", edit(plain4, func(ip []byte) []byte { ip[0] = 0x46; return ip }), false},
		{"ipv4 version 5", edit(plain4, func(ip []byte) []byte { ip[0] = 0x55; return ip }), false},
		{"ipv4 length zero", edit(plain4, func(ip []byte) []byte { ip[2], ip[3] = 0, 0; return ip }),
			false},
		{"ipv4 length short", edit(plain4, func(ip []byte) []byte { ip[2], ip[3] = 0, 19; return ip }),
			false},
		{"truncated frame", plain4[:len(plain4)-1], false},
		{"tcp offset below 5", edit(plain4, func(ip []byte) []byte { ip[32] = 0x40; return ip }),
			false},
		{"tcp offset past the end", edit(eth(capgen.AppendIP(nil, v4.Addr(), web4.Addr(), 7,
			capgen.ProtoTCP, capgen.AppendTCP(nil, v4, web4, &h, nil))), func(ip []byte) []byte {
			ip[32] = 0xf0
			return ip
		}), false},
		{"tcp header cut", eth(capgen.AppendIP(nil, v4.Addr(), web4.Addr(), 7, capgen.ProtoTCP,
			capgen.AppendTCP(nil, v4, web4, &h, nil)[:19])), false},
		{"udp length 7", edit(eth(udp(v4, web4, body)), func(ip []byte) []byte {
			binary.BigEndian.PutUint16(ip[24:], 7)
			return ip
		}), false},
		{"ipv6 hop-by-hop", edit(eth(tcp(v6, web6)), func(ip []byte) []byte { ip[6] = 0; return ip }),
			false},
		{"ipv6 fragment header", edit(eth(tcp(v6, web6)), func(ip []byte) []byte {
			ip[6] = 44
			return ip
		}), false},
		{"ipv6 jumbogram", edit(eth(tcp(v6, web6)), func(ip []byte) []byte {
			ip[4], ip[5] = 0, 0
			return ip
		}), false},
		{"gre", eth(capgen.AppendIP(nil, v4.Addr(), web4.Addr(), 7, capgen.ProtoGRE,
			(&capgen.GRE{}).Append(nil, udp(v4, dns4, query)))), false},
		{"short frame", plain4[:20], false},
		{"empty frame", nil, false},
	}
}

// TestOrdinary checks which frames the shortcut passes over, and that the
// layer parser agrees with it on each.
func TestOrdinary(t *testing.T) {
	x := New(Config{}, &collector{})
	for _, tc := range ordinaryFrames(t) {
		t.Run(tc.name, func(t *testing.T) {
			if got := ordinary(tc.frame, &x.ports); got != tc.want {
				t.Errorf("ordinary = %v, want %v", got, tc.want)
			}
			checkOrdinary(t, x, tc.frame)
		})
	}
}

// TestOrdinaryPorts checks that ports added to the configuration are not
// passed over, tunnel ports among them.
func TestOrdinaryPorts(t *testing.T) {
	for _, tc := range ordinaryFrames(t) {
		if !tc.want {
			continue
		}
		x := New(Config{Ports: []uint16{443, 4789}}, &collector{})
		if ordinary(tc.frame, &x.ports) {
			t.Errorf("%s: passed over with port 443 configured as DNS", tc.name)
		}
	}
}

// checkOrdinary fails when ordinary passes over a frame that the layer
// parser would hand on to the DNS decoders, reassemble or count as skipped.
func checkOrdinary(t *testing.T, x *Extractor, frame []byte) {
	t.Helper()
	if why := ordinaryWrong(x, frame); why != "" {
		t.Fatal(why)
	}
}

// ordinaryWrong says why ordinary should not have passed over frame, or
// returns "".
func ordinaryWrong(x *Extractor, frame []byte) string {
	if !ordinary(frame, &x.ports) {
		return ""
	}
	var p packet
	f := &pcapread.Frame{LinkType: linkEthernet, Data: frame}
	reason, ok := x.decoder.decode(f, &p)
	switch {
	case !ok:
		return fmt.Sprintf("passed over a frame the parser stops at (skip reason %q)", reason.what)
	case p.frag.ok:
		return "passed over an IP fragment"
	case p.transport != TCP && p.transport != UDP:
		return fmt.Sprintf("passed over transport %v", p.transport)
	case x.ports.has(p.src.Port()) || x.ports.has(p.dst.Port()):
		return fmt.Sprintf("passed over %v -> %v, a DNS port", p.src, p.dst)
	case len(x.decoder.tun.marks) > 0:
		return "passed over a tunnelled frame"
	}
	return ""
}

// TestOrdinaryCaptures checks the shortcut against the layer parser on
// every Ethernet frame of the project's captures and of the shared corpus,
// when present.
func TestOrdinaryCaptures(t *testing.T) {
	x := New(Config{}, &collector{})
	var passed, frames int
	check := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := pcapread.NewReader(f, path)
		for r.Next() {
			fr := r.Frame()
			if fr.LinkType != linkEthernet {
				continue
			}
			frames++
			if ordinary(fr.Data, &x.ports) {
				passed++
			}
			if why := ordinaryWrong(x, fr.Data); why != "" {
				t.Errorf("%s: frame %d: %s", path, fr.Number, why)
			}
		}
		// Files that are not captures, or are cut short, end with an error
		// that other tests check.
	}
	captures := func(root string) {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				check(path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	captures(filepath.Join("..", "testdata"))
	if dir, err := corpus.Dir(); err == nil {
		captures(dir)
	} else {
		t.Logf("shared corpus not checked: %v", err)
	}
	t.Logf("%d of %d Ethernet frames passed over", passed, frames)
	if passed == 0 {
		t.Fatal("no frame passed over: the shortcut never fires")
	}
}

// FuzzOrdinary checks the shortcut against the layer parser on arbitrary
// Ethernet frames, seeded with those of TestOrdinary.
func FuzzOrdinary(f *testing.F) {
	for _, tc := range ordinaryFrames(f) {
		f.Add(tc.frame)
	}
	x := New(Config{}, &collector{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if why := ordinaryWrong(x, frame); why != "" {
			t.Fatal(why)
		}
	})
}

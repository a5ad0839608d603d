package dnsextract

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"pdnsx/internal/capgen"
	"pdnsx/pcapread"
)

// tunnelSeedScenarios are the capgen scenarios whose first frame seeds
// FuzzTunnelFrame.
var tunnelSeedScenarios = []string{
	"gre", "gre-pptp", "erspan-1", "erspan-2", "erspan-3", "etherip", "vxlan", "geneve",
	"gtp-u", "teredo", "ipip", "mpls", "pppoe", "ppp", "ppp-hdlc", "chdlc", "nflog",
	"wlan-radiotap", "wlan", "loop", "pktap", "tunnel-nested", "qinq", "sll2",
}

// fuzzSeedDir is the checked-in seed corpus of FuzzTunnelFrame.
var fuzzSeedDir = filepath.Join("testdata", "fuzz", "FuzzTunnelFrame")

// FuzzTunnelFrame decodes arbitrary frames of arbitrary link types: the
// decoder must not panic, must not report more payload than the frame
// holds, and must name a path for every datagram or segment it reports.
func FuzzTunnelFrame(f *testing.F) {
	d := newFrameDecoder()
	x := New(Config{}, &collector{})
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		fr := &pcapread.Frame{Number: 1, LinkType: pcapread.LinkType(link), Data: data}
		var p packet
		reason, ok := d.decode(fr, &p)
		switch {
		case ok && p.frag.ok:
			if len(p.frag.data) > len(data) {
				t.Fatalf("fragment of %d bytes in a frame of %d", len(p.frag.data), len(data))
			}
		case ok:
			if len(p.payload) > len(data) {
				t.Fatalf("payload of %d bytes in a frame of %d", len(p.payload), len(data))
			}
			if d.path(data) == "" {
				t.Fatal("a datagram with an empty path")
			}
		case reason.String() == "":
			t.Fatal("a skip reason that says nothing")
		}
		if len(d.tun.marks) > maxTunnelHeaders || len(d.decoded) > maxFrameLayers+1 {
			t.Fatalf("%d tunnel headers, %d layers", len(d.tun.marks), len(d.decoded))
		}
		x.Frame(0, fr)
	})
}

// TestTunnelFuzzSeeds checks that the seed corpus of FuzzTunnelFrame holds
// the first frame of every scenario in tunnelSeedScenarios, as the
// generator writes it today; -update rewrites it.
func TestTunnelFuzzSeeds(t *testing.T) {
	for _, name := range tunnelSeedScenarios {
		sc, ok := capgen.Lookup(name)
		if !ok {
			t.Fatalf("no scenario %s", name)
		}
		frames, err := sc.Frames()
		if err != nil || len(frames) == 0 {
			t.Fatalf("scenario %s: %d frames, %v", name, len(frames), err)
		}
		seed := fmt.Sprintf("go test fuzz v1\nuint16(%d)\n[]byte(%s)\n",
			frames[0].LinkType, strconv.Quote(string(frames[0].Data)))
		path := filepath.Join(fuzzSeedDir, name)
		if *update {
			if err := os.MkdirAll(fuzzSeedDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, []byte(seed)) {
			t.Errorf("%s: seed missing or out of date (%v); run go test ./dnsextract "+
				"-run TestTunnelFuzzSeeds -update", path, err)
		}
	}
}

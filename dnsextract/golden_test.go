package dnsextract

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"pdnsx/pcapread"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// collector is a Sink that keeps everything it is given.
type collector struct {
	lookups   []*Lookup
	malformed []*Malformed
}

func (c *collector) Lookup(l *Lookup)       { c.lookups = append(c.lookups, l) }
func (c *collector) Malformed(m *Malformed) { c.malformed = append(c.malformed, m) }

// extractFiles runs one Extractor over the captures in order, as one stream.
func extractFiles(t testing.TB, cfg Config, paths ...string) (*collector, Stats) {
	t.Helper()
	c := &collector{}
	x := New(cfg, c)
	for i, path := range paths {
		r, err := pcapread.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			x.Frame(i, r.Frame())
		}
		if err := r.Err(); err != nil {
			t.Logf("%s: %v", path, err)
		}
		r.Close()
	}
	x.Close()
	return c, x.Stats()
}

// formatLookups renders lookups and malformed payloads as the golden text:
// one line per lookup, its records indented below it.
func formatLookups(c *collector) string {
	var b strings.Builder
	for _, l := range c.lookups {
		fmt.Fprintf(&b, "%s %s %s %s -> %s", l.Kind(), l.Transport, l.Path, l.Client, l.Server)
		m := l.Query
		if m == nil {
			m = l.Response
		}
		fmt.Fprintf(&b, " id=%d q=%q %s %s", m.ID, m.QName, typeName(m.QType),
			className(m.QClass))
		if l.Query != nil {
			fmt.Fprintf(&b, " query=%s@%s", frames(l.Query.Frames),
				l.Query.Time.UTC().Format("15:04:05.000000000"))
			writeEDNS(&b, l.Query)
		}
		if r := l.Response; r != nil {
			fmt.Fprintf(&b, " response=%s@%s rcode=%s flags=%#04x counts=%d/%d/%d/%d",
				frames(r.Frames), r.Time.UTC().Format("15:04:05.000000000"),
				rcodeName(r.Rcode), r.Flags, r.QDCount, r.ANCount, r.NSCount, r.ARCount)
			writeEDNS(&b, r)
			if l.Query != nil {
				fmt.Fprintf(&b, " rtt=%s", l.RTT())
			}
		}
		b.WriteByte('\n')
		for _, m := range []*Message{l.Query, l.Response} {
			if m == nil || (m == l.Query && !l.Unpaired) {
				continue
			}
			for _, r := range m.Records {
				fmt.Fprintf(&b, "\t%s %s %d %s %s %s\n", r.Section, r.Name, r.TTL,
					className(r.Class), typeName(r.Type), r.Data)
			}
		}
	}
	for _, m := range c.malformed {
		fmt.Fprintf(&b, "malformed %s %s %s -> %s frames=%s bytes=%d: %s\n", m.Transport,
			m.Path, m.Src, m.Dst, frames(m.Frames), len(m.Payload), m.Reason)
	}
	return b.String()
}

// releaser is a Sink that renders each lookup as the golden text does, then
// releases it, as an ingest does once a lookup is stored: what it renders
// shows whether a recycled message carries anything over.
type releaser struct {
	text      strings.Builder
	malformed []*Malformed
}

func (r *releaser) Lookup(l *Lookup) {
	r.text.WriteString(formatLookups(&collector{lookups: []*Lookup{l}}))
	l.Release()
}

func (r *releaser) Malformed(m *Malformed) { r.malformed = append(r.malformed, m) }

// TestGoldenReleased checks that lookups released as soon as they are
// rendered give the golden text: recycled messages start empty.
func TestGoldenReleased(t *testing.T) {
	cfg := Config{Ports: []uint16{5300}}
	for name, paths := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			r := &releaser{}
			x := New(cfg, r)
			for i, path := range paths {
				rd, err := pcapread.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				for rd.Next() {
					x.Frame(i, rd.Frame())
				}
				rd.Close()
			}
			x.Close()
			got := r.text.String() + formatLookups(&collector{malformed: r.malformed})
			want, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s: released lookups differ from the golden text\n--- got\n%s--- want\n%s",
					name, got, want)
			}
		})
	}
}

func writeEDNS(b *strings.Builder, m *Message) {
	if !m.EDNS {
		return
	}
	fmt.Fprintf(b, " edns=%d", m.UDPSize)
	if m.DO {
		b.WriteString(",do")
	}
	if m.ClientSubnet != "" {
		b.WriteString(",ecs=" + m.ClientSubnet)
	}
}

func frames(refs []FrameRef) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = fmt.Sprintf("%d:%d", r.Capture, r.Frame)
	}
	return strings.Join(parts, ",")
}

func typeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

func className(c uint16) string {
	if s, ok := dns.ClassToString[c]; ok {
		return s
	}
	return fmt.Sprintf("CLASS%d", c)
}

func rcodeName(r uint16) string {
	if s, ok := dns.RcodeToString[int(r)]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", r)
}

// goldenCases maps each golden file to the captures it is made from; a
// scenario of several files (rotated captures) lists them in order.
func goldenCases(t *testing.T) map[string][]string {
	t.Helper()
	dir := filepath.Join("..", "testdata", "captures")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	cases := make(map[string][]string)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".txt") {
			continue
		}
		base := strings.SplitN(name, ".", 2)[0]
		// Rotated scenarios come as NAME-a, NAME-b: one golden file for the pair.
		key := base
		if k, ok := strings.CutSuffix(base, "-a"); ok {
			key = k
		} else if k, ok := strings.CutSuffix(base, "-b"); ok {
			key = k
		}
		cases[key] = append(cases[key], filepath.Join(dir, name))
	}
	for _, paths := range cases {
		sort.Strings(paths)
	}
	return cases
}

// TestGolden runs the extractor over every capture under testdata/captures
// and compares its lookups with testdata/golden/NAME.txt.
func TestGolden(t *testing.T) {
	cfg := Config{Ports: []uint16{5300}}
	for name, paths := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			c, _ := extractFiles(t, cfg, paths...)
			got := formatLookups(c)
			golden := filepath.Join("..", "testdata", "golden", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dnsextract -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s: lookups differ from %s\n--- got\n%s--- want\n%s",
					name, golden, got, want)
			}
		})
	}
}

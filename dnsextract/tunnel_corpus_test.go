package dnsextract

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// linkCorpusPattern selects, by the notable column of MANIFEST.tsv, the
// corpus captures of TestCorpusLinkLayers: tunnels and uncommon link
// layers.
var linkCorpusPattern = regexp.MustCompile(
	`\b(gre|vxlan|gtp|teredo|nflog|802\.11|wlan|mpls|pktap|qinq|null|sll|raw|rawip)\b|ppp|hdlc`)

// linkCorpusDifferences lists the captures where pdnsx finds a different
// number of DNS messages than tshark: pdnsx minus tshark, and why. The
// README's limitations section has the same table.
var linkCorpusDifferences = map[string]struct {
	diff int
	why  string
}{
	"ndpi/KakaoTalk_chat.pcap": {-1, "frame 57 is an ICMP port unreachable quoting the " +
		"start of a DNS response; tshark dissects the quoted copy, pdnsx counts only " +
		"messages on the wire"},
}

// corpusCapture is a row of MANIFEST.tsv.
type corpusCapture struct {
	path     string
	messages int // tshark 4.0's count of DNS messages
	notable  string
}

// linkCorpus returns the manifest rows that linkCorpusPattern selects.
func linkCorpus(t *testing.T, corpus string) []corpusCapture {
	t.Helper()
	f, err := os.Open(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusCapture
	sc := bufio.NewScanner(f)
	sc.Scan() // column names
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 || !linkCorpusPattern.MatchString(strings.ToLower(cols[7])) {
			continue
		}
		n, err := strconv.Atoi(cols[6])
		if err != nil {
			t.Fatalf("MANIFEST.tsv: %s: dns_messages %q: %v", cols[0], cols[6], err)
		}
		rows = append(rows, corpusCapture{cols[0], n, cols[7]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// tsharkMessages counts the DNS, mDNS and LLMNR message headers tshark
// decodes in a capture, or returns -1 when tshark is not to be run.
func tsharkMessages(t *testing.T, path string) int {
	t.Helper()
	if testing.Short() {
		return -1
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		return -1
	}
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "dns || mdns || llmnr",
		"-T", "fields", "-e", "dns.id").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	n := 0
	for _, id := range strings.FieldsFunc(string(out), func(r rune) bool {
		return r == '\n' || r == ','
	}) {
		if strings.TrimSpace(id) != "" {
			n++
		}
	}
	return n
}

// TestCorpusLinkLayers checks, on the shared corpus captures with tunnels
// and uncommon link layers, that pdnsx finds as many DNS messages (decoded
// or malformed) as tshark, but for the differences listed in
// linkCorpusDifferences. tshark is run when installed (and not -short);
// otherwise the manifest's tshark 4.0 counts stand in for it.
func TestCorpusLinkLayers(t *testing.T) {
	corpus := corpusDir(t)
	rows := linkCorpus(t, corpus)
	if len(rows) == 0 {
		t.Fatal("no corpus capture selected")
	}
	for _, row := range rows {
		t.Run(row.path, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(corpus, row.path)
			_, stats := extractFiles(t, Config{}, path)
			got := int(stats.Messages + stats.Malformed)
			want, source := row.messages, "MANIFEST.tsv"
			if n := tsharkMessages(t, path); n >= 0 {
				want, source = n, "tshark"
			}
			d := linkCorpusDifferences[row.path]
			if got-want != d.diff {
				t.Errorf("pdnsx finds %d messages, %s %d; expected difference %d (%s); "+
					"skipped %v", got, source, want, d.diff, d.why, stats.Skipped)
			}
		})
	}
}

// TestTunnelCapturesTshark checks the generated tunnel captures under
// testdata/captures against tshark: both must find the same DNS messages.
// It is the independent check of the generator's encoders and of the
// decoder together.
func TestTunnelCapturesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil || testing.Short() {
		t.Skip("skipping: tshark not installed, or -short")
	}
	for _, name := range tunnelSeedScenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("..", "testdata", "captures", name+".pcap")
			c, stats := extractFiles(t, Config{}, path)
			got := int(stats.Messages + stats.Malformed)
			if want := tsharkMessages(t, path); got != want {
				t.Errorf("pdnsx finds %d messages, tshark %d", got, want)
			}
			if len(stats.Skipped) != 0 {
				t.Errorf("skipped %v", stats.Skipped)
			}
			for _, l := range c.lookups {
				if l.Kind() != Answered {
					t.Errorf("%s lookup on %s: %v", l.Kind(), l.Path, kinds(c.lookups))
				}
			}
		})
	}
}

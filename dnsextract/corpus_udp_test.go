package dnsextract

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusUDPDifferences lists where pdnsx and tshark legitimately count the
// DNS messages carried whole in single UDP datagrams differently, pdnsx minus
// tshark, with the reason.
var corpusUDPDifferences = map[string]struct {
	diff int
	why  string
}{
	"tcpdump/dns-zlip-1.pcap": {+1, "a compression pointer loop: tshark does not show it " +
		"as DNS; pdnsx records it as a malformed message"},
	"tcpdump/dns-zlip-2.pcap": {+1, "as dns-zlip-1"},
	"tcpdump/dns-zlip-3.pcap": {+1, "as dns-zlip-1"},
	"ndpi/fuzz-2006-06-26-2594.pcap": {-5, "a fuzzed capture: tshark takes five datagrams " +
		"between non-DNS ports (frames 29, 109, 352, 355, 571) for DNS by its heuristics, " +
		"and two payloads pdnsx reports as malformed (frames 8, 642) are not DNS to it"},
	"tcpdump/arcnet-rfc1201-arp-icmp-http.pcap": {-4, "ARCNET (link type 129) is not " +
		"decoded; its frames are counted as skipped"},
}

// unreadCompression lists the compressions pcapread refuses: the corpus
// holds such files, which pdnsx reports as not a capture.
var unreadCompression = []string{".xz", ".lz4"}

// TestCorpusUDP reads every capture of the shared corpus, which must not
// crash, and compares the DNS messages pdnsx finds in single UDP datagrams
// with what tshark decodes, for every capture tshark reads.
func TestCorpusUDP(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: runs tshark on every capture")
	}
	corpus := corpusDir(t)
	tshark, _ := exec.LookPath("tshark")
	if tshark == "" {
		t.Log("tshark not installed: reading the corpus without comparing counts")
	}
	tags := corpusTags(t, corpus)
	paths, _ := filepath.Glob(filepath.Join(corpus, "*", "*"))
	more, _ := filepath.Glob(filepath.Join(corpus, "*", "*", "*", "*", "*"))
	paths = append(paths, more...)
	sort.Strings(paths)
	for _, file := range paths {
		rel, _ := filepath.Rel(corpus, file)
		if !isCapture(rel) {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			for _, ext := range unreadCompression {
				if strings.HasSuffix(rel, ext) {
					t.Skipf("%s compression is not read: decompress the file first", ext)
				}
			}
			got := corpusUDPCount(t, file, corpusPorts[rel])
			if tshark == "" || tags[rel] == nil && !strings.Contains(rel, "zlip") {
				return
			}
			want := tsharkUDPCount(t, tshark, file, corpusPorts[rel])
			if d := corpusUDPDifferences[rel]; got-want != d.diff {
				t.Errorf("UDP messages %d, tshark %d (expected difference %+d: %s)",
					got, want, d.diff, d.why)
			}
		})
	}
}

// isCapture tells capture files from the expected outputs beside them.
func isCapture(rel string) bool {
	for _, ext := range []string{".pcap", ".pcapng", ".pcap.gz", ".pcap.zst", ".pcap.xz",
		".pcap.lz4"} {
		if strings.HasSuffix(rel, ext) {
			return true
		}
	}
	return false
}

// corpusUDPCount returns the DNS messages an Extractor finds in file in
// single UDP datagrams: those of its lookups, and the malformed payloads that
// gave no lookup.
func corpusUDPCount(t *testing.T, file string, port uint16) int {
	t.Helper()
	cfg := Config{}
	if port != 0 {
		cfg.Ports = []uint16{port}
	}
	c, _ := extractFiles(t, cfg, file)

	n := 0
	seen := make(map[FrameRef]bool)
	for _, l := range c.lookups {
		for _, m := range []*Message{l.Query, l.Response} {
			if m != nil && l.Transport == UDP && len(m.Frames) == 1 {
				n++
				seen[m.Frames[0]] = true
			}
		}
	}
	for _, m := range c.malformed {
		if m.Transport == UDP && len(m.Frames) == 1 && !seen[m.Frames[0]] {
			n++
		}
	}
	return n
}

// tsharkUDPCount returns how many DNS, mDNS and LLMNR messages tshark
// decodes in UDP datagrams that were not reassembled from fragments, leaving
// out the datagrams quoted inside ICMP errors.
func tsharkUDPCount(t *testing.T, tshark, file string, port uint16) int {
	t.Helper()
	args := []string{"-n", "-r", file, "-Y", "udp && (dns || mdns || llmnr) && !icmp && !icmpv6",
		"-T", "fields", "-E", "separator=/t", "-e", "dns.id",
		"-e", "ip.fragment.count", "-e", "ipv6.fragment.count"}
	if port != 0 {
		args = append(args, "-d", "udp.port=="+itoa(int(port))+",dns")
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 3 || cols[0] == "" || cols[1] != "" || cols[2] != "" {
			continue
		}
		n += len(strings.Split(cols[0], ","))
	}
	return n
}

package dnsextract

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pdnsx/internal/corpus"
)

// corpusDir returns the shared corpus of real captures, or skips the test
// when it is absent.
func corpusDir(t testing.TB) string { return corpus.DirOrSkip(t) }

// corpusTags returns the corpus captures and the tshark tags of each, from
// the notable column of MANIFEST.tsv ("... [tshark: ipv4 tcp]").
func corpusTags(t *testing.T, corpus string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tagsRE := regexp.MustCompile(`\[tshark: ([^;\]]*)`)
	files := make(map[string][]string)
	sc := bufio.NewScanner(f)
	sc.Scan() // column names
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 {
			continue
		}
		if m := tagsRE.FindStringSubmatch(cols[7]); m != nil {
			files[cols[0]] = strings.Fields(m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

// corpusPorts lists the captures that carry DNS on another port, as the
// manifest notes for its tshark counts.
var corpusPorts = map[string]uint16{
	"tcpdump/dns_tcp_8053.pcap": 8053,
	"tcpdump/dns_udp_8053.pcap": 8053,
	// Avast's resolver answers on UDP 443; tshark finds DNS there by heuristics.
	"ndpi/avast_securedns.pcapng": 443,
}

// corpusDifferences lists where pdnsx and tshark legitimately count
// differently: TCP messages and messages reassembled from IP fragments,
// pdnsx minus tshark, with the reason.
var corpusDifferences = map[string]struct {
	tcp, frag int
	why       string
}{
	"dnscap/dnso1tcp-bighole.pcap": {tcp: +35, why: "after the client's lost segments " +
		"tshark waits for them and decodes no further query on that stream; pdnsx reports " +
		"the cut message and resynchronises on the next query"},
	"dnscap/do1t-nosyn-1nolen.pcap": {tcp: +1, why: "the first segment is a query whose " +
		"length prefix was not captured: tshark reads its ID as a length and the next query " +
		"into it; pdnsx skips the 28 bytes and finds the next query"},
	"pcapplusplus/Packet++Test/PacketExamples/dns_over_tcp.pcapng": {tcp: +1, why: "frame 4 " +
		"repeats frame 1's stream and sequence number with other bytes, years later: the " +
		"stream has expired on capture time, so pdnsx reads a new message where tshark, " +
		"which never expires a stream, sees a retransmission"},
}

// TestCorpusReassembly compares, on every corpus capture tagged tcp or
// ip-fragmented, the DNS messages pdnsx decodes over TCP and from
// reassembled IP fragments with what tshark decodes with TCP
// desegmentation and IP reassembly on.
func TestCorpusReassembly(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: runs tshark on every capture")
	}
	corpus := corpusDir(t)
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("skipping: tshark not installed")
	}
	for path, tags := range corpusTags(t, corpus) {
		tcp, frag := hasTag(tags, "tcp"), hasTag(tags, "ip-fragmented")
		if !tcp && !frag {
			continue
		}
		t.Run(path, func(t *testing.T) {
			file := filepath.Join(corpus, path)
			gotTCP, gotFrag := corpusCounts(t, file, corpusPorts[path])
			wantTCP, wantFrag := tsharkCounts(t, tshark, file, corpusPorts[path])
			d := corpusDifferences[path]
			if gotTCP-wantTCP != d.tcp || gotFrag-wantFrag != d.frag {
				t.Errorf("TCP messages %d, tshark %d; from fragments %d, tshark %d "+
					"(expected differences %+v)", gotTCP, wantTCP, gotFrag, wantFrag, d)
			}
		})
	}
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// corpusCounts returns the DNS messages an Extractor finds in file over TCP
// and in datagrams reassembled from IP fragments.
func corpusCounts(t *testing.T, file string, port uint16) (tcp, frag int) {
	t.Helper()
	cfg := Config{}
	if port != 0 {
		cfg.Ports = []uint16{port}
	}
	c, _ := extractFiles(t, cfg, file)
	for _, l := range c.lookups {
		for _, m := range []*Message{l.Query, l.Response} {
			switch {
			case m == nil:
			case l.Transport == TCP:
				tcp++
			case len(m.Frames) > 1:
				frag++
			}
		}
	}
	return tcp, frag
}

// tsharkCounts returns how many DNS, mDNS and LLMNR messages tshark decodes
// over TCP and in UDP datagrams reassembled from IP fragments. It prints, for
// each frame, the transaction IDs of its messages, comma-separated, then
// the TCP stream, and the fragment counts of IPv4 and IPv6.
func tsharkCounts(t *testing.T, tshark, file string, port uint16) (tcp, frag int) {
	t.Helper()
	args := []string{"-n", "-r", file, "-o", "tcp.desegment_tcp_streams:TRUE",
		"-Y", "dns || mdns || llmnr", "-T", "fields", "-E", "separator=/t",
		"-e", "dns.id", "-e", "tcp.stream", "-e", "ip.fragment.count",
		"-e", "ipv6.fragment.count"}
	if port != 0 {
		p := itoa(int(port))
		args = append(args, "-d", "tcp.port=="+p+",dns", "-d", "udp.port=="+p+",dns")
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 4 || cols[0] == "" {
			continue
		}
		n := len(strings.Split(cols[0], ","))
		switch {
		case cols[1] != "":
			tcp += n
		case cols[2] != "" || cols[3] != "":
			frag += n
		}
	}
	return tcp, frag
}

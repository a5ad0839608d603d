package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pdnsx/internal/capgen"
	"pdnsx/sqlitestore"
)

// The case of the query benchmarks is generated once and kept between
// runs. Two environment variables tune it:
//
//   - PDNSX_BENCH_PAIRS: lookups of the generated resolver capture
//     (default 5,300,000, which gives about ten million records);
//   - PDNSX_BENCH_DIR: where the case is kept (default the system's
//     temporary directory).
//
// Run from a script or by hand, e.g.
//
//	go test ./cmd/pdnsx -run '^$' -bench 'Queries|PDNSRebuild' -benchtime 20x -timeout 2h
//
// The first run generates the capture, ingests it with the built pdnsx and
// logs how long that took; later runs reuse the case.
const defaultBenchPairs = 5_300_000

// benchCase returns the path of the benchmark case, building it when it is
// not there yet.
func benchCase(b *testing.B) string {
	b.Helper()
	pairs := defaultBenchPairs
	if s := os.Getenv("PDNSX_BENCH_PAIRS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("PDNSX_BENCH_PAIRS=%q: want a positive number", s)
		}
		pairs = n
	}
	dir := os.Getenv("PDNSX_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "pdnsx-bench-queries")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	casePath := filepath.Join(dir, fmt.Sprintf("resolver-seed1-%d.sqlite", pairs))
	if benchCaseDone(casePath) {
		return casePath
	}
	os.Remove(casePath)

	capture := filepath.Join(dir, fmt.Sprintf("resolver-seed1-%d.pcap", pairs))
	defer os.Remove(capture)
	start := time.Now()
	if err := writeBenchCapture(capture, pairs); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d lookups in %v", pairs, time.Since(start).Round(time.Millisecond))

	bin, err := binary()
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	out, err := exec.Command(bin, "ingest", "--quiet", "-o", casePath, capture).
		CombinedOutput()
	if err != nil {
		b.Fatalf("ingest: %v\n%s", err, out)
	}
	b.Logf("ingest with pdnsx: %v\n%s", time.Since(start).Round(time.Millisecond), out)
	return casePath
}

// benchCaseDone reports whether a complete benchmark case is at path.
func benchCaseDone(path string) bool {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return false
	}
	defer db.Close()
	var ok int
	err = db.QueryRow(`SELECT count(*) FROM runs WHERE outcome = 'ok'`).Scan(&ok)
	return err == nil && ok == 1
}

// writeBenchCapture writes the project's resolver benchmark capture.
func writeBenchCapture(path string, pairs int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = capgen.WriteResolverBench(w, capgen.BenchOptions{Seed: 1, Pairs: pairs})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// benchQuestions are the questions the benchmark asks, chosen from the
// case itself: the name, client and an answer address of the lookup in the
// middle of the case, the domain above the name, the /24 of the address.
type benchQuestions struct {
	name, domain string
	block        netip.Prefix
	client       netip.Addr
}

// pickQuestions chooses the benchmark's questions in the case at path.
func pickQuestions(b *testing.B, path string) benchQuestions {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var name, client, addr string
	err = db.QueryRow(`SELECT n.name, l.client, r.data FROM lookups l
		JOIN names n ON n.id = l.qname_id JOIN records r ON r.lookup_id = l.id
		WHERE l.id >= (SELECT max(id) / 2 FROM lookups) AND r.type = 'A'
		ORDER BY l.id LIMIT 1`).Scan(&name, &client, &addr)
	if err != nil {
		b.Fatal(err)
	}
	q := benchQuestions{name: name, domain: domainOf(name)}
	q.client = netip.MustParseAddr(client)
	q.block = netip.PrefixFrom(netip.MustParseAddr(addr), 24).Masked()
	return q
}

// domainOf returns the pattern of the names under a name's last two
// labels: "*.example.com" for "www.example.com.".
func domainOf(name string) string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	return "*." + strings.Join(labels[max(len(labels)-2, 0):], ".")
}

// BenchmarkQueries times the questions of pdnsx query on a case of about
// ten million records: an exact name (a rare one and the most queried),
// a domain suffix (of each), a CIDR block of answers, a client and its
// /16, each read to its last row.
func BenchmarkQueries(b *testing.B) {
	casePath := benchCase(b)
	q := pickQuestions(b, casePath)
	store, err := sqlitestore.OpenReadOnly(casePath)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	start := time.Now()
	info, err := store.Info(1)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("case: %d lookups, %d records, %d names, %d pdns rows (Info: %v); "+
		"questions %s %s %s %s %s", info.Lookups, info.Records, info.Names, info.PDNS,
		time.Since(start).Round(time.Millisecond), q.name, q.domain, q.block, q.client,
		info.TopNames[0].Key)

	exact, _ := sqlitestore.ParseNamePattern(q.name)
	under, _ := sqlitestore.ParseNamePattern(q.domain)
	top, _ := sqlitestore.ParseNamePattern(info.TopNames[0].Key)
	topDomain, _ := sqlitestore.ParseNamePattern(domainOf(info.TopNames[0].Key))
	clientBlock := netip.PrefixFrom(q.client, 16).Masked()
	all := sqlitestore.Filter{}
	for _, bq := range []struct {
		name string
		run  func() (int, error)
	}{
		{"name", func() (int, error) { return count(store.LookupsByName(exact, all)) }},
		{"name-summary", func() (int, error) { return count(store.PDNSByName(exact, all)) }},
		{"name-top", func() (int, error) { return count(store.LookupsByName(top, all)) }},
		{"suffix", func() (int, error) { return count(store.LookupsByName(under, all)) }},
		{"suffix-top", func() (int, error) { return count(store.LookupsByName(topDomain, all)) }},
		{"suffix-top-summary", func() (int, error) {
			return count(store.PDNSByName(topDomain, all))
		}},
		{"suffix-limit-100", func() (int, error) {
			return count(store.LookupsByName(under, sqlitestore.Filter{Limit: 100}))
		}},
		{"cidr", func() (int, error) { return count(store.PDNSByAddress(q.block, all)) }},
		{"client", func() (int, error) {
			return count(store.LookupsByClient(netip.PrefixFrom(q.client, q.client.BitLen()),
				all))
		}},
		{"client-16-limit-100", func() (int, error) {
			return count(store.LookupsByClient(clientBlock, sqlitestore.Filter{Limit: 100}))
		}},
	} {
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				if rows, err = bq.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

// BenchmarkPDNSRebuild times Finish on the benchmark case: the rebuild of
// the passive DNS summary from every record (the query indexes exist
// already, so Finish adds nothing else of note).
func BenchmarkPDNSRebuild(b *testing.B) {
	casePath := benchCase(b)
	for b.Loop() {
		store, err := sqlitestore.Open(casePath)
		if err != nil {
			b.Fatal(err)
		}
		err = store.Finish()
		if cerr := store.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// count reads a sequence to its end and counts its rows.
func count[T any](seq func(func(T, error) bool)) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

package sqlitestore

import (
	"fmt"
	"testing"

	"pdnsx/dnsextract"
)

// BenchmarkWriter measures the writer's hot path: one op is one answered
// lookup with three records (a CNAME and two addresses), fed in batches
// of 256 as cmd/pdnsx does, into a case on disk. With repeated names,
// 10,000 lookups cycle over 5,000 query names, as in real traffic; with new
// names each lookup asks for a name not seen before, which the writer adds
// to the names table (a resolver's capture has about one such in four).
func BenchmarkWriter(b *testing.B) {
	for _, bc := range []struct {
		name  string
		fresh bool
	}{{"names=repeated", false}, {"names=new", true}} {
		b.Run(bc.name, func(b *testing.B) { benchmarkWriter(b, bc.fresh) })
	}
}

func benchmarkWriter(b *testing.B, fresh bool) {
	s := newCase(b)
	run, err := s.BeginRun(sampleTime, "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.StartCapture(0, &Capture{Path: "bench.pcap"}); err != nil {
		b.Fatal(err)
	}
	sample := make([]*dnsextract.Lookup, 10000)
	for i := range sample {
		sample[i] = sampleLookup(0, i)
	}
	var names []string
	if fresh {
		names = make([]string, 1<<20)
		for i := range names {
			names[i] = fmt.Sprintf("n%d.host%d.example%d.com.", i, i%5000, i%37)
		}
	}

	b.ReportAllocs()
	batch := make([]*dnsextract.Lookup, 0, 256)
	for i := 0; b.Loop(); i++ {
		l := sample[i%len(sample)]
		if fresh {
			// A batch holds distinct lookups, so a name set here is
			// stored before the lookup is given the next one.
			name := names[i%len(names)]
			l.Query.QName, l.Response.QName, l.Response.Records[0].Name = name, name, name
		}
		batch = append(batch, l)
		if len(batch) == cap(batch) {
			if err := w.AddLookups(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.AddLookups(batch); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSummary measures the rebuild of the passive DNS summary of a
// case of 100,000 sample lookups (300,000 records): one op is one
// rebuild, added up in memory or, past the budget, by SQLite's GROUP BY.
func BenchmarkSummary(b *testing.B) {
	s := newCase(b)
	w := writeCaptures(b, s, 4, 25000)
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		budget int
	}{{"in=memory", summaryBudget}, {"in=sql", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			defer func(n int) { summaryBudget = n }(summaryBudget)
			summaryBudget = bc.budget
			b.ReportAllocs()
			for b.Loop() {
				if err := s.rebuildPDNS(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

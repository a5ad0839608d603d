package sqlitestore

import (
	"testing"

	"pdnsx/dnsextract"
)

// BenchmarkWriter measures the writer's hot path: one op is one answered
// lookup with three records (a CNAME and two addresses), fed in batches
// of 256 as cmd/pdnsx does, into a case on disk. Names repeat as in real
// traffic: 10,000 lookups cycle over 10,000 query names.
func BenchmarkWriter(b *testing.B) {
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

	b.ReportAllocs()
	batch := make([]*dnsextract.Lookup, 0, 256)
	for i := 0; b.Loop(); i++ {
		batch = append(batch, sample[i%len(sample)])
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

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"pdnsx/dnsextract"
	"pdnsx/pcapread"
	"pdnsx/sqlitestore"
)

// Capture statuses recorded in the case file.
const (
	statusComplete    = "complete"
	statusTruncated   = "truncated"
	statusCorrupt     = "corrupt"
	statusFailed      = "failed"
	statusInterrupted = "interrupted"
)

// The Go runtime's soft memory limits while an ingest reads its captures
// and while the case is finished, unless GOMEMLIMIT sets one. The summary
// of a case is added up in memory that holds no pointers (see
// sqlitestore's summarize), so collecting often while it grows costs
// little, and the lower limit keeps it from raising the ingest's peak.
const (
	goMemoryLimit     = 160 << 20
	finishMemoryLimit = 128 << 20
)

// setMemoryLimit sets the Go runtime's soft memory limit, unless the
// environment's GOMEMLIMIT set it.
func setMemoryLimit(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// ingestOptions are the flags of "pdnsx ingest".
type ingestOptions struct {
	casePath string
	jobs     int
	quiet    bool
	force    bool
	ports    []uint16
	profile  string // CPU profile file, for benchmarking
	heap     string // heap profile file, written when the captures are read
}

func runIngest(args []string, stdout, stderr io.Writer) int {
	opts, paths, err := parseIngest(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx ingest: %v\n", err)
		fmt.Fprintln(stderr, "usage: pdnsx ingest [-o CASE] [-j N] [--quiet] [--force] [--ports P,...] INPUT...")
		return exitUsage
	}

	ctx, stop := interruptible(stderr)
	defer stop()
	// The live heap of an ingest is bounded (dnsextract's limits, a few
	// batches in flight); a soft limit keeps the garbage from doubling it.
	setMemoryLimit(goMemoryLimit)
	if opts.profile != "" {
		f, err := os.Create(opts.profile)
		if err != nil {
			fmt.Fprintf(stderr, "pdnsx: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "pdnsx: %v\n", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}

	rep := newReporter(stderr, opts.quiet)
	sum, err := ingest(ctx, opts, paths, rep)
	rep.summary(sum, opts.casePath)
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx: %v\n", err)
		return exitPartial
	}
	if sum.failed > 0 || sum.interrupted {
		return exitPartial
	}
	return exitOK
}

// parseIngest reads the flags and arguments of "pdnsx ingest".
func parseIngest(args []string, stdout, stderr io.Writer) (ingestOptions, []string, error) {
	opts := ingestOptions{}
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.casePath, "o", "pdnsx.sqlite", "case file to create or add to")
	fs.IntVar(&opts.jobs, "j", runtime.NumCPU(), "captures to read at once")
	fs.BoolVar(&opts.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&opts.force, "force", false,
		"ingest captures already in the case again, replacing their rows")
	ports := fs.String("ports", "", "more ports that carry DNS, comma-separated")
	fs.StringVar(&opts.profile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.StringVar(&opts.heap, "memprofile", "", "write a heap profile to `file` once the "+
		"captures are read")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: pdnsx ingest [-o CASE] [-j N] [--quiet] [--force] [--ports P,...] INPUT...")
		fmt.Fprintln(fs.Output(), "\nReads capture files (pcap, pcapng, also gzip or zstd compressed) and")
		fmt.Fprintln(fs.Output(), "directories of them, and adds every DNS lookup seen to the case file.")
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, nil, err
	}
	if fs.NArg() == 0 {
		return opts, nil, errors.New("no input given")
	}
	if opts.jobs < 1 {
		return opts, nil, fmt.Errorf("-j %d: need at least one job", opts.jobs)
	}
	var err error
	if opts.ports, err = parsePorts(*ports); err != nil {
		return opts, nil, err
	}
	return opts, fs.Args(), nil
}

// parsePorts reads a comma-separated list of port numbers.
func parsePorts(s string) ([]uint16, error) {
	var ports []uint16
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--ports: %q is not a port number", f)
		}
		ports = append(ports, uint16(n))
	}
	return ports, nil
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits at once.
func interruptible(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-signals; !ok {
			return
		}
		fmt.Fprintln(stderr, "\npdnsx: interrupted: saving what was read so far "+
			"(interrupt again to quit at once)")
		cancel()
		if _, ok := <-signals; ok {
			fmt.Fprintln(stderr, "pdnsx: quit; the case file keeps every capture finished")
			os.Exit(exitPartial)
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(signals)
		cancel()
	}
}

// summary is what an ingest did, for the closing lines.
type summary struct {
	files, failed     int
	skipped           int
	skippedFrames     map[string]int64 // frames not decoded, by reason
	frames, messages  int64
	lookups, records  int64
	malformed, errors int64
	bytes             int64
	elapsed           time.Duration
	interrupted       bool
}

// event is what a capture worker hands to the writer.
type event struct {
	kind      eventKind
	index     int
	capture   *sqlitestore.Capture
	replace   []int64          // earlier captures of the same file, deleted once this one is done
	duplicate string           // path of a capture of this run with the same SHA-256
	stats     dnsextract.Stats // what the capture held, with evFinish
	settled   []settled        // final statuses, with evSettle
	lookups   []*dnsextract.Lookup
	malformed []*dnsextract.Malformed
}

type eventKind uint8

const (
	evStart eventKind = iota
	evLookups
	evMalformed
	evFinish
	evSettle
)

// ingest reads every input into the case file at opts.casePath.
func ingest(ctx context.Context, opts ingestOptions, args []string, rep *reporter) (summary,
	error) {
	start := time.Now()
	var sum summary
	inputs, problems := expandInputs(args)
	for _, err := range problems {
		rep.warn("%v", err)
		sum.errors++
		sum.failed++
	}
	sum.files = len(inputs) + len(problems)

	store, err := sqlitestore.Open(opts.casePath)
	if err != nil {
		return sum, err
	}
	defer store.Close()
	if _, err := store.MarkInterrupted(); err != nil {
		return sum, err
	}
	known, err := store.Captures()
	if err != nil {
		return sum, err
	}
	runID, err := store.BeginRun(start.UTC(), version(), strings.Join(os.Args, " "))
	if err != nil {
		return sum, err
	}
	w, err := store.NewWriter(runID)
	if err != nil {
		return sum, err
	}

	var total int64
	for _, in := range inputs {
		total += in.size
	}
	rep.start(total, len(inputs))

	events := make(chan event, 16)
	writeErr := make(chan error, 1)
	cw := &caseWriter{w: w, store: store, rep: rep, sum: &sum}
	go func() { writeErr <- cw.write(events) }()

	run := &runner{opts: opts, events: events, rep: rep, known: bySize(known),
		seen: make(map[string]string), skippedFrames: make(map[string]int64)}
	run.captures(ctx, inputs)
	run.settle(ctx.Err() != nil)
	close(events)
	err = <-writeErr
	if cerr := w.Close(); err == nil {
		err = cerr
	}

	sum.frames, sum.messages = run.frames.Load(), run.messages.Load()
	sum.skippedFrames = run.skippedFrames
	sum.failed += int(run.failed.Load())
	sum.errors += run.failed.Load()
	sum.bytes = run.bytes.Load()
	sum.skipped += int(run.skipped.Load())
	sum.interrupted = ctx.Err() != nil
	rep.finish()
	if opts.heap != "" {
		if herr := writeHeapProfile(opts.heap); err == nil {
			err = herr
		}
	}

	// What the decoders held is garbage now: hand it back to the system
	// before SQLite sorts for the summary and the indexes, or the two add up
	// to the ingest's peak memory (230 MB instead of 185 on the benchmark).
	debug.FreeOSMemory()
	if err == nil {
		setMemoryLimit(finishMemoryLimit)
		err = store.Finish()
	}
	outcome := "ok"
	switch {
	case sum.interrupted:
		outcome = "interrupted"
	case err != nil || sum.failed > 0:
		outcome = "errors"
	}
	if eerr := store.EndRun(runID, time.Now().UTC(), outcome); err == nil {
		err = eerr
	}
	sum.elapsed = time.Since(start)
	return sum, err
}

// caseWriter applies the workers' events to the case, in one goroutine.
type caseWriter struct {
	w     *sqlitestore.Writer
	store *sqlitestore.Store
	rep   *reporter
	sum   *summary
}

// write feeds the writer from events until the channel closes. After a write
// error it keeps draining, so that workers never block, and reports the first
// error.
func (cw *caseWriter) write(events <-chan event) error {
	var first error
	for ev := range events {
		if first == nil {
			first = cw.apply(ev)
		}
	}
	if first == nil {
		first = cw.w.Flush()
	}
	return first
}

// apply stores one event.
func (cw *caseWriter) apply(ev event) error {
	switch ev.kind {
	case evStart:
		return cw.w.StartCapture(ev.index, ev.capture)
	case evLookups:
		cw.sum.lookups += int64(len(ev.lookups))
		for _, l := range ev.lookups {
			cw.sum.records += recordCount(l)
		}
		err := cw.w.AddLookups(ev.lookups)
		for _, l := range ev.lookups {
			l.Release() // stored, or refused: no longer needed either way
		}
		return err
	case evMalformed:
		cw.sum.malformed += int64(len(ev.malformed))
		return cw.w.AddMalformed(ev.malformed)
	case evFinish:
		return cw.finish(ev)
	case evSettle:
		return cw.settle(ev)
	}
	return nil
}

// finish stores a capture's counters, still with the status "ingesting":
// its lookups are not all stored until the edges of the run's captures are
// stitched (see runner.settle). It then removes the rows this capture makes
// redundant: earlier ingests of the same file, or itself when the same file
// was already read in this run under another name.
func (cw *caseWriter) finish(ev event) error {
	row := *ev.capture
	row.Status = "ingesting"
	if err := cw.w.FinishCapture(ev.index, &row); err != nil {
		return err
	}
	for _, id := range ev.replace {
		if err := cw.store.DeleteCapture(id); err != nil {
			return err
		}
	}
	if ev.duplicate == "" {
		return nil
	}
	cw.rep.note("%s: same file as %s (SHA-256 %s); counted once", ev.capture.Path,
		ev.duplicate, ev.capture.SHA256)
	cw.sum.skipped++
	cw.sum.lookups -= ev.stats.Lookups
	cw.sum.records -= ev.stats.Records
	cw.sum.malformed -= ev.stats.Malformed
	return cw.store.DeleteCapture(row.ID)
}

// settle stores the final status of every capture of the run.
func (cw *caseWriter) settle(ev event) error {
	for _, s := range ev.settled {
		if err := cw.w.FinishCapture(s.index, s.capture); err != nil {
			return err
		}
	}
	return nil
}

// recordCount counts the records a lookup stores.
func recordCount(l *dnsextract.Lookup) int64 {
	n := 0
	if l.Response != nil {
		n += len(l.Response.Records)
	}
	if l.Unpaired && l.Query != nil {
		n += len(l.Query.Records)
	}
	return int64(n)
}

// runner reads captures in parallel, one Extractor per capture.
type runner struct {
	opts   ingestOptions
	events chan<- event
	rep    *reporter
	known  map[int64][]*sqlitestore.Capture // captures already in the case, by size

	mu            sync.Mutex
	skippedFrames map[string]int64    // frames not decoded, by reason
	seen          map[string]string   // SHA-256 of the captures read in this run: path
	carries       []*dnsextract.Carry // edges of the captures read whole
	finished      []settled           // the captures read, with their final rows

	frames, messages, failed, bytes, skipped atomic.Int64
}

// settled is a capture's final row, stored once the run's edges are stitched.
type settled struct {
	index   int
	capture *sqlitestore.Capture
}

// settle ends the run: it pairs the queries and responses, and reassembles
// the TCP streams, that were cut between captures (rotated files), then gives
// every capture its final status. After an interruption there is no stitching,
// and every capture of the run stays "interrupted": running the same ingest
// again reads them anew, so that the case equals one from an uninterrupted run.
func (r *runner) settle(interrupted bool) {
	if !interrupted && len(r.carries) > 0 {
		sink := &batchSink{events: r.events, found: &r.rep.lookups}
		x := dnsextract.New(r.extractConfig(), sink)
		x.Stitch(r.carries...)
		x.Close()
		sink.flush()
	}
	for _, s := range r.finished {
		if interrupted {
			s.capture.Status, s.capture.Error = statusInterrupted, "ingest interrupted"
		}
	}
	r.events <- event{kind: evSettle, settled: r.finished}
}

// extractConfig is the dnsextract configuration of the run.
func (r *runner) extractConfig() dnsextract.Config {
	return dnsextract.Config{Ports: r.opts.ports}
}

// bySize indexes captures by file size.
func bySize(captures []*sqlitestore.Capture) map[int64][]*sqlitestore.Capture {
	m := make(map[int64][]*sqlitestore.Capture)
	for _, c := range captures {
		m[c.Size] = append(m[c.Size], c)
	}
	return m
}

// previous finds the earlier ingests of the same file in the case. It
// returns the capture that makes this input redundant, or the ids of the
// captures this input's rows replace (unfinished ones, or any with --force).
// A file is hashed ahead of its ingest only when a capture of the very same
// size is already in the case; any other file is read once.
func (r *runner) previous(in input) (dup *sqlitestore.Capture, replace []int64) {
	candidates := r.known[in.size]
	if len(candidates) == 0 {
		return nil, nil
	}
	sum, err := fileSHA256(in.path)
	if err != nil {
		return nil, nil // the ingest itself reports why the file cannot be read
	}
	for _, c := range candidates {
		switch {
		case c.SHA256 == "" && !c.Finished() && c.Path == in.path:
			// Cut off before its end, the hash was never stored.
			replace = append(replace, c.ID)
		case c.SHA256 != sum:
		case c.Finished() && !r.opts.force:
			return c, nil
		default:
			replace = append(replace, c.ID)
		}
	}
	return nil, replace
}

// fileSHA256 returns the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// captures reads inputs with opts.jobs workers.
func (r *runner) captures(ctx context.Context, inputs []input) {
	// Larger files first, so that a big capture does not start last.
	order := make([]input, len(inputs))
	copy(order, inputs)
	sort.SliceStable(order, func(i, j int) bool { return order[i].size > order[j].size })

	work := make(chan input)
	var wg sync.WaitGroup
	for range min(r.opts.jobs, max(len(inputs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range work {
				r.capture(ctx, in)
			}
		}()
	}
	for _, in := range order {
		if ctx.Err() != nil {
			break
		}
		work <- in
	}
	close(work)
	wg.Wait()
}

// capture reads one input into the case.
func (r *runner) capture(ctx context.Context, in input) {
	dup, replace := r.previous(in)
	if dup != nil {
		r.rep.note("%s: already in the case as capture %d (%s); skipped "+
			"(--force ingests it again)", in.path, dup.ID, dup.Path)
		r.skipped.Add(1)
		r.rep.untrack(in.index, in.size)
		return
	}
	rd, err := pcapread.Open(in.path)
	if err != nil {
		r.rep.warn("%v", err)
		r.failed.Add(1)
		return
	}
	defer rd.Close()
	r.rep.track(in.index, rd)

	c := &sqlitestore.Capture{Path: in.path, Size: in.size, Status: "ingesting"}
	r.events <- event{kind: evStart, index: in.index, capture: c}

	sink := &batchSink{events: r.events, found: &r.rep.lookups}
	x := dnsextract.New(r.extractConfig(), sink)
	interrupted := false
	for rd.Next() {
		x.Frame(in.index, rd.Frame())
		if rd.Frame().Number%4096 == 0 && ctx.Err() != nil {
			interrupted = true
			break
		}
	}
	stats := x.Stats()
	carry := x.Carry()
	sink.flush()

	done := captureRow(in, rd, stats, interrupted)
	twin := r.finish(in.index, done, carry)
	r.events <- event{kind: evFinish, index: in.index, capture: done, replace: replace,
		duplicate: twin, stats: stats}
	r.rep.untrack(in.index, rd.BytesRead())

	r.frames.Add(stats.Frames)
	r.messages.Add(stats.Messages)
	r.bytes.Add(rd.BytesRead())
	r.mu.Lock()
	for reason, n := range stats.Skipped {
		r.skippedFrames[reason] += n
	}
	r.mu.Unlock()
	if done.Status != statusComplete {
		r.failed.Add(1)
		if done.Status != statusInterrupted {
			r.rep.warn("%s", done.Error)
		}
	}
}

// finish records a capture read by the run and returns the path of an
// earlier one of the run with the same SHA-256, whose rows are kept instead.
func (r *runner) finish(index int, c *sqlitestore.Capture, carry *dnsextract.Carry) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if earlier, ok := r.seen[c.SHA256]; ok {
		return earlier
	}
	r.seen[c.SHA256] = c.Path
	r.carries = append(r.carries, carry)
	r.finished = append(r.finished, settled{index, c})
	return ""
}

// captureRow builds the final captures row of a capture read by rd.
func captureRow(in input, rd *pcapread.Reader, stats dnsextract.Stats,
	interrupted bool) *sqlitestore.Capture {
	info := rd.Info()
	c := &sqlitestore.Capture{
		Path:        in.path,
		Size:        info.Size,
		SHA256:      hex.EncodeToString(info.SHA256[:]),
		Format:      string(info.Format),
		Compression: string(info.Compression),
		LinkTypes:   linkTypes(info.LinkTypes),
		First:       info.First,
		Last:        info.Last,
		Frames:      stats.Frames,
		Messages:    stats.Messages,
		Malformed:   stats.Malformed,
		Skipped:     skipped(stats.Skipped),
		Status:      statusComplete,
	}
	err := rd.Err()
	switch {
	case interrupted:
		// The file was not read to its end: its hash is unknown.
		c.Status, c.Error = statusInterrupted, "ingest interrupted"
		c.Size, c.SHA256 = in.size, ""
	case err == nil:
	case errors.Is(err, pcapread.ErrTruncated):
		c.Status, c.Error = statusTruncated, err.Error()
	case errors.Is(err, pcapread.ErrCorrupt):
		c.Status, c.Error = statusCorrupt, err.Error()
	default:
		c.Status, c.Error = statusFailed, err.Error()
	}
	return c
}

// linkTypes lists link types as "1,113".
func linkTypes(lts []pcapread.LinkType) string {
	parts := make([]string, len(lts))
	for i, lt := range lts {
		parts[i] = strconv.Itoa(int(lt))
	}
	return strings.Join(parts, ",")
}

// skipped renders skip counts as "link type 147=3; unsupported MPLS=2", sorted.
func skipped(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for reason, n := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", reason, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// batchSink collects an Extractor's output into batches for the writer.
type batchSink struct {
	events    chan<- event
	found     *atomic.Int64 // lookups handed over, for the progress bar
	lookups   []*dnsextract.Lookup
	malformed []*dnsextract.Malformed
}

const batchSize = 1024

// Lookup implements dnsextract.Sink.
func (s *batchSink) Lookup(l *dnsextract.Lookup) {
	s.lookups = append(s.lookups, l)
	if len(s.lookups) == batchSize {
		s.flushLookups()
		s.lookups = make([]*dnsextract.Lookup, 0, batchSize)
	}
}

// Malformed implements dnsextract.Sink.
func (s *batchSink) Malformed(m *dnsextract.Malformed) {
	s.malformed = append(s.malformed, m)
	if len(s.malformed) == batchSize {
		s.flushMalformed()
	}
}

func (s *batchSink) flushMalformed() {
	if len(s.malformed) > 0 {
		s.events <- event{kind: evMalformed, malformed: s.malformed}
		s.malformed = nil
	}
}

func (s *batchSink) flushLookups() {
	if len(s.lookups) > 0 {
		s.found.Add(int64(len(s.lookups)))
		s.events <- event{kind: evLookups, lookups: s.lookups}
		s.lookups = nil
	}
}

// flush hands over what is left.
func (s *batchSink) flush() {
	s.flushLookups()
	s.flushMalformed()
}

// writeHeapProfile writes the heap profile of the live objects to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	err = pprof.WriteHeapProfile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

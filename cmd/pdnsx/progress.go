package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"pdnsx/pcapread"
)

// reporter owns standard error during an ingest: warnings, the progress bar
// (only on a terminal, and not with --quiet) and the closing summary.
type reporter struct {
	w   io.Writer
	tty bool // show a bar
	bar *progressbar.ProgressBar

	mu         sync.Mutex
	active     map[int]*pcapread.Reader
	doneBytes  int64
	doneFiles  int
	totalFiles int
	lookups    atomic.Int64 // found so far, counted as workers hand them over
	stop       chan struct{}
	stopped    sync.WaitGroup
}

func newReporter(w io.Writer, quiet bool) *reporter {
	r := &reporter{w: w, active: make(map[int]*pcapread.Reader)}
	if f, ok := w.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		r.tty = true
	}
	return r
}

// start shows the bar over total bytes of files inputs.
func (r *reporter) start(total int64, files int) {
	r.totalFiles = files
	if !r.tty {
		return
	}
	r.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(r.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription(r.describe()),
	)
	r.stop = make(chan struct{})
	r.stopped.Add(1)
	go r.tick()
}

// tick refreshes the bar until finish.
func (r *reporter) tick() {
	defer r.stopped.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			read := r.doneBytes
			for _, rd := range r.active {
				read += rd.BytesRead()
			}
			r.bar.Describe(r.describe())
			_ = r.bar.Set64(read)
			r.mu.Unlock()
		}
	}
}

// describe is the bar's label; the caller holds r.mu or owns r.
func (r *reporter) describe() string {
	return fmt.Sprintf("files %d/%d, lookups %d", r.doneFiles, r.totalFiles, r.lookups.Load())
}

// track follows a capture being read.
func (r *reporter) track(index int, rd *pcapread.Reader) {
	r.mu.Lock()
	r.active[index] = rd
	r.mu.Unlock()
}

// untrack records a capture as done.
func (r *reporter) untrack(index int, bytes int64) {
	r.mu.Lock()
	delete(r.active, index)
	r.doneBytes += bytes
	r.doneFiles++
	r.mu.Unlock()
}

// warn prints a warning above the bar.
func (r *reporter) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	fmt.Fprintf(r.w, "pdnsx: warning: "+format+"\n", args...)
}

// note prints a message that is not a warning, above the bar.
func (r *reporter) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	fmt.Fprintf(r.w, "pdnsx: "+format+"\n", args...)
}

// finish removes the bar.
func (r *reporter) finish() {
	if r.stop == nil {
		return
	}
	close(r.stop)
	r.stopped.Wait()
	_ = r.bar.Finish()
	r.stop = nil
}

// summary prints the closing lines.
func (r *reporter) summary(s summary, casePath string) {
	secs := s.elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.bytes) / 1e6 / secs
	}
	fmt.Fprintf(r.w, "pdnsx: %d files (%d with errors, %d already in the case), %d frames, "+
		"%d DNS messages, %d lookups, %d records, %d malformed, %d errors\n",
		s.files, s.failed, s.skipped, s.frames, s.messages, s.lookups, s.records, s.malformed,
		s.errors)
	if len(s.skippedFrames) > 0 {
		var n int64
		for _, c := range s.skippedFrames {
			n += c
		}
		fmt.Fprintf(r.w, "pdnsx: %d frames not decoded: %s\n", n, topReasons(s.skippedFrames, 5))
	}
	fmt.Fprintf(r.w, "pdnsx: %.2fs, %.1f MB/s; case file %s\n", secs, rate, casePath)
	if s.interrupted {
		fmt.Fprintln(r.w, "pdnsx: interrupted: run the same ingest again to complete the case")
	}
}

// topReasons lists the most frequent reasons as "reason (count)", the
// largest first, and how many others there are.
func topReasons(counts map[string]int64, n int) string {
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := reasons[i], reasons[j]
		return counts[a] > counts[b] || counts[a] == counts[b] && a < b
	})
	parts := make([]string, 0, n+1)
	for i, r := range reasons {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d other reasons", len(reasons)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", r, counts[r]))
	}
	return strings.Join(parts, ", ")
}

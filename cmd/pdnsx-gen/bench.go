package main

import (
	"flag"
	"io"
)

// runBench writes a benchmark capture.
func runBench(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	_ = stderr
	return parse(fs, args)
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"pdnsx/internal/capgen"
)

// runBench writes a benchmark capture and its truth file.
func runBench(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	kind := fs.String("kind", "", "capture to write: resolver or gateway")
	seed := fs.Uint64("seed", 1, "seed of the pseudo-random choices")
	out := fs.String("o", "", "capture file to write")
	pairs := fs.Int("pairs", capgen.DefaultResolverPairs, "resolver: lookups to generate")
	size := fs.Int64("bytes", capgen.DefaultGatewayBytes, "gateway: approximate capture size")
	compress := fs.String("z", "", "compress the capture: gzip or zstd")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: bench needs -o FILE", errUsage)
	}
	if *pairs <= 0 || *size <= 0 {
		return fmt.Errorf("%w: -pairs and -bytes must be positive", errUsage)
	}

	if *compress != "" && *compress != string(capgen.Gzip) && *compress != string(capgen.Zstd) {
		return fmt.Errorf("%w: -z must be gzip or zstd, not %q", errUsage, *compress)
	}

	write := capgen.WriteResolverBench
	switch *kind {
	case capgen.BenchResolver:
	case capgen.BenchGateway:
		write = capgen.WriteGatewayBench
	default:
		return fmt.Errorf("%w: -kind must be resolver or gateway, not %q", errUsage, *kind)
	}

	truth, err := writeCapture(*out, func(w io.Writer) (capgen.BenchTruth, error) {
		return write(w, capgen.BenchOptions{Seed: *seed, Pairs: *pairs, Bytes: *size,
			Compression: capgen.Compression(*compress)})
	})
	if err != nil {
		return err
	}
	if err := writeTruth(*out+".truth.json", truth); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "pdnsx-gen: wrote %s: %d bytes, %d frames, %d DNS messages, %d lookups\n",
		*out, truth.FileSize, truth.Frames, truth.Messages, truth.Lookups())
	return nil
}

// writeCapture creates path and writes a capture into it.
func writeCapture(path string, write func(io.Writer) (capgen.BenchTruth, error)) (
	capgen.BenchTruth, error) {
	f, err := os.Create(path)
	if err != nil {
		return capgen.BenchTruth{}, err
	}
	truth, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return truth, err
}

// writeTruth writes the truth as indented JSON.
func writeTruth(path string, truth capgen.BenchTruth) error {
	b, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

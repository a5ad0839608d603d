package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pdnsx/internal/capgen"
)

// TestUsageErrors checks that bad command lines are usage errors.
func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		nil,
		{"frobnicate"},
		{"testdata", "extra"},
		{"bench", "-kind", "resolver"},
		{"bench", "-kind", "router", "-o", "x.pcap"},
		{"bench", "-kind", "resolver", "-o", "x.pcap", "-pairs", "0"},
		{"bench", "-kind", "resolver", "-o", "x.pcap", "-z", "lz4"},
		{"bench", "-no-such-flag"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			if err := run(args, &stderr); !errors.Is(err, errUsage) {
				t.Errorf("run(%q) = %v, want a usage error", args, err)
			}
		})
	}
}

// TestTestdata checks that the testdata subcommand writes every scenario
// and prints one summary line.
func TestTestdata(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if err := run([]string{"testdata", "-dir", dir}, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, sc := range capgen.Scenarios() {
		if _, err := os.Stat(filepath.Join(dir, sc.File)); err != nil {
			t.Errorf("scenario %s: %v", sc.Name, err)
		}
	}
	if n := strings.Count(stderr.String(), "\n"); n != 1 {
		t.Errorf("printed %d lines, want 1: %q", n, stderr.String())
	}
}

// TestBench checks that the bench subcommand writes a capture and a truth
// file that agree.
func TestBench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.pcap.zst")
	var stderr bytes.Buffer
	args := []string{"bench", "-kind", "resolver", "-seed", "9", "-pairs", "200", "-o", out,
		"-z", "zstd"}
	if err := run(args, &stderr); err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth capgen.BenchTruth
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if truth.FileSize != info.Size() || truth.Lookups() != 200 || truth.Seed != 9 ||
		truth.Compression != capgen.Zstd || truth.Kind != capgen.BenchResolver {
		t.Errorf("truth %+v does not describe a %d-byte zstd capture of 200 lookups",
			truth, info.Size())
	}
}

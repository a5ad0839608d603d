package main

import (
	"strings"
	"testing"
)

func TestInfoGolden(t *testing.T) {
	casePath := askCase(t, askCaptures...)
	// A second run that adds nothing, then fixed times and command lines,
	// which would otherwise differ at every run of the test.
	if _, stderr, status := pdnsx(t, "ingest", "--quiet", "-o", casePath,
		"../../testdata/captures/nxdomain.pcap"); status != exitOK {
		t.Fatalf("second ingest: %s", stderr)
	}
	alterCase(t, casePath, `UPDATE runs SET
		started = '2024-05-18T08:00:0' || id || '.000000000Z',
		finished = '2024-05-18T08:00:0' || id || '.500000000Z',
		version = 'test', command = 'pdnsx ingest ...'`)

	stdout, stderr, status := pdnsx(t, "info", "-case", casePath, "-top", "5")
	if status != exitOK {
		t.Fatalf("exit status %d\n%s", status, stderr)
	}
	checkGolden(t, "info", strings.ReplaceAll(stdout, casePath, "CASE"))
}

func TestInfoUsage(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"-top", "-2"}, exitUsage, "-top -2"},
		{[]string{"-case", "testdata/ask/info.golden"}, exitPartial, "not a pdnsx case file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, status := pdnsx(t, append([]string{"info"}, tt.args...)...)
			if status != tt.status || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit status %d, stderr %q; want %d and %q", status, stderr,
					tt.status, tt.stderr)
			}
		})
	}
}

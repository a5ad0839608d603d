package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ask")

// askCaptures are the captures of the case the query, info and export
// tests ask: the demonstration capture (500 lookups of a resolver's
// clients, IPv4 and IPv6) and crafted ones for the odd lookups (every
// record type with HTTPS and SVCB hints, mDNS, an unsolicited response, an
// unanswered query, TCP, NXDOMAIN).
var askCaptures = []string{"../../testdata/demo.pcap", "../../testdata/captures/all-types.pcap",
	"../../testdata/captures/mdns.pcap", "../../testdata/captures/unsolicited.pcap",
	"../../testdata/captures/unanswered.pcap", "../../testdata/captures/tcp-simple.pcap",
	"../../testdata/captures/nxdomain.pcap"}

// askCase ingests captures into a new case and returns its path.
func askCase(t *testing.T, captures ...string) string {
	t.Helper()
	casePath := filepath.Join(t.TempDir(), "case.sqlite")
	args := append([]string{"ingest", "--quiet", "-j", "1", "-o", casePath}, captures...)
	if _, stderr, status := pdnsx(t, args...); status != exitOK {
		t.Fatalf("ingest: exit status %d\n%s", status, stderr)
	}
	return casePath
}

// checkGolden compares got with testdata/ask/NAME.golden, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "ask", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to rewrite it, then read the "+
			"diff):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines shows the first lines where want and got differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

func TestQueryGolden(t *testing.T) {
	casePath := askCase(t, askCaptures...)
	tests := []struct {
		name string
		args []string
	}{
		{"name-exact", []string{"name", "MAIL.mi.fr"}},
		// cdn.trimi.fr. ends with the characters "mi.fr" but is not under mi.fr.
		{"name-under", []string{"name", "*.mi.fr"}},
		{"name-last-label", []string{"name", "mail.mi.*"}},
		{"name-middle-label", []string{"name", "mail.*.fr", "-type", "TXT,AAAA"}},
		// The first lookup is at .005698 (kept: -since is inclusive), the
		// last at .068014 (dropped: -until is exclusive).
		{"name-window", []string{"name", "*.mi.fr", "-since", "2024-05-17T09:00:00.005698Z",
			"-until", "2024-05-17T09:00:00.068014Z"}},
		{"name-flags-first", []string{"-limit", "2", "-format", "csv", "name", "*.mi.fr"}},
		{"name-csv", []string{"name", "*.mi.fr", "-format", "csv"}},
		{"name-json-provenance", []string{"name", "all.example", "-format", "json",
			"-provenance"}},
		{"name-table-provenance", []string{"name", "*.mi.fr", "-provenance"}},
		{"name-cof", []string{"name", "mail.mi.fr", "-format", "cof"}},
		{"name-summary", []string{"name", "*.all.example", "-summary"}},
		{"name-summary-json", []string{"name", "*.mi.fr", "-summary", "-format", "json"}},
		{"name-summary-cof", []string{"name", "*.mi.fr", "-summary", "-format", "cof"}},
		{"name-none", []string{"name", "*.nowhere.example", "-format", "csv"}},
		{"ip-v4", []string{"ip", "192.0.2.53"}}, // an A record and an SVCB ipv4hint
		{"ip-v4-cidr", []string{"ip", "198.19.15.0/28"}},
		{"ip-v6-cidr", []string{"ip", "2001:2:0:32dd::/64"}}, // only an ipv6hint
		{"ip-window", []string{"ip", "198.19.77.0/24", "-since", "2024-05-17T09:00:00.1Z",
			"-format", "csv"}},
		{"ip-cof", []string{"ip", "198.19.77.0/24", "-format", "cof", "-type", "a"}},
		{"client-exact", []string{"client", "10.1.8.73"}},
		{"client-v4-cidr", []string{"client", "10.1.8.0/22", "-limit", "6"}},
		{"client-v6-cidr", []string{"client", "fd00:1::/112", "-limit", "5", "-format",
			"json"}},
		{"client-failed", []string{"client", "10.0.0.0/8", "-rcode", "nxdomain,SERVFAIL",
			"-format", "csv"}},
		{"client-no-response", []string{"client", "10.0.0.0/8", "-rcode", "none"}},
		{"client-all-v6", []string{"client", "::/0", "-type", "PTR,TYPE12,SRV,ANY",
			"-provenance", "-format", "csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "-case", casePath}, tt.args...)
			stdout, stderr, status := pdnsx(t, args...)
			if status != exitOK {
				t.Fatalf("exit status %d\n%s", status, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			checkGolden(t, "query-"+tt.name, stdout)
		})
	}
}

// TestQueryUsage checks that command-line mistakes exit 2 with a message
// and the usage, and failures exit 1.
func TestQueryUsage(t *testing.T) {
	casePath := askCase(t, "../../testdata/captures/nxdomain.pcap")
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{nil, exitUsage, "no question"},
		{[]string{"domain", "x"}, exitUsage, `unknown question "domain"`},
		{[]string{"name"}, exitUsage, "name takes one argument, got 0"},
		{[]string{"name", "a", "b"}, exitUsage, "name takes one argument, got 2"},
		{[]string{"name", "w*w.example"}, exitUsage, "whole labels"},
		{[]string{"ip", "10.1.2"}, exitUsage, "not an IP address"},
		{[]string{"ip", "10.1.2.0/33"}, exitUsage, "not a CIDR block"},
		{[]string{"client", "fe80::1%eth0"}, exitUsage, "not an IP address"},
		{[]string{"name", "x", "-since", "yesterday"}, exitUsage, "-since \"yesterday\""},
		{[]string{"name", "x", "-since", "2024-05-18", "-until", "2024-05-17"}, exitUsage,
			"is not before"},
		{[]string{"name", "x", "-type", "QQ"}, exitUsage, `"QQ" is not a DNS type`},
		{[]string{"name", "x", "-rcode", "OOPS"}, exitUsage, "not a DNS response code"},
		{[]string{"name", "x", "-limit", "-1"}, exitUsage, "-limit -1"},
		{[]string{"name", "x", "-format", "xml"}, exitUsage, `-format "xml"`},
		{[]string{"name", "x", "-zz"}, exitUsage, "flag provided but not defined: -zz"},
		{[]string{"ip", "10.0.0.1", "-summary"}, exitUsage, "-summary applies to name"},
		{[]string{"ip", "10.0.0.1", "-rcode", "NXDOMAIN"}, exitUsage, "-rcode applies"},
		{[]string{"name", "x", "-summary", "-provenance"}, exitUsage, "-provenance applies"},
		{[]string{"name", "x", "-format", "cof", "-provenance"}, exitUsage, "no field for it"},
		{[]string{"-case", filepath.Join(t.TempDir(), "absent.sqlite"), "name", "x"},
			exitPartial, "absent.sqlite"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"query", "-case", casePath}, tt.args...)
			stdout, stderr, status := pdnsx(t, args...)
			if status != tt.status {
				t.Errorf("exit status %d, want %d", status, tt.status)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.stderr)
			}
			if tt.status == exitUsage && !strings.Contains(stderr, "usage: pdnsx query") {
				t.Errorf("stderr %q lacks the usage", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestHelp checks that every command explains itself on standard output.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"query", "info", "export"}},
		{[]string{"help", "query"}, []string{"usage: pdnsx query", "*.example.com", "-since"}},
		{[]string{"query", "-h"}, []string{"usage: pdnsx query", "-provenance"}},
		{[]string{"query", "name", "-h"}, []string{"usage: pdnsx query"}},
		{[]string{"info", "-h"}, []string{"usage: pdnsx info", "-top"}},
		{[]string{"help", "export"}, []string{"usage: pdnsx export", "zeek", "-o file"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, status := pdnsx(t, tt.args...)
			if status != exitOK {
				t.Errorf("exit status %d, stderr %q", status, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

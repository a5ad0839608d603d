// Command pdnsx turns packet captures into a passive DNS case file: one
// SQLite database holding every DNS lookup seen in the captures, with its
// answers, times, addresses and the way back to the frame.
//
// Usage:
//
//	pdnsx ingest [-o CASE] [-j N] [--quiet] [--force] [--ports P,...] INPUT...
//	pdnsx verify [-case CASE] [INPUT...]
//	pdnsx query [-case CASE] [flags] name PATTERN | ip ADDR|CIDR | client ADDR|CIDR
//	pdnsx info [-case CASE]
//	pdnsx export [-case CASE] -format cof|csv|zeek [-o FILE]
//	pdnsx help [COMMAND]
//
// Run "pdnsx help" for every command.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses.
const (
	exitOK      = 0 // every input was read whole
	exitPartial = 1 // an input failed or was cut short; the rest is saved
	exitUsage   = 2 // the command line was wrong
)

// command is one pdnsx subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"ingest", "read captures into a case file", runIngest},
		{"verify", "check a case file and the SHA-256 of its captures", runVerify},
		{"query", "ask the case: a name, an address, a client", runQuery},
		{"info", "what the case holds", runInfo},
		{"export", "write the case as Common Output Format, CSV or a Zeek dns.log", runExport},
		{"version", "print the version", runVersion},
		{"help", "explain a command", runHelp},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pdnsx: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pdnsx turns packet captures into a passive DNS case file (SQLite).")
	fmt.Fprintln(w, "\nUsage: pdnsx COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"pdnsx COMMAND -h\" for a command's flags.")
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run([]string{"-h"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pdnsx: unknown command %q\n", args[0])
	return exitUsage
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "pdnsx", version())
	return exitOK
}

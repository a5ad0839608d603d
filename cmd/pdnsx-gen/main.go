// Command pdnsx-gen writes pdnsx's generated captures: the small crafted
// captures under testdata/captures, and large benchmark captures.
//
// Usage:
//
//	pdnsx-gen testdata [-dir DIR]
//	pdnsx-gen bench -kind resolver|gateway -seed N -o FILE [-pairs N] [-bytes N] [-z gzip|zstd]
//
// testdata rewrites every scenario capture and README.md in DIR
// (testdata/captures by default). bench writes one benchmark capture and,
// beside it, FILE.truth.json with the exact counts it holds. On success the
// command prints one summary line to standard error; usage errors exit 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// errUsage marks an error in the command line.
var errUsage = errors.New("usage")

func main() {
	err := run(os.Args[1:], os.Stderr)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "pdnsx-gen:", err)
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "pdnsx-gen:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  pdnsx-gen testdata [-dir DIR]
  pdnsx-gen bench -kind resolver|gateway -seed N -o FILE [-pairs N] [-bytes N]
                  [-z gzip|zstd]
`

// run executes the subcommand in args, writing its summary to stderr.
func run(args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no subcommand", errUsage)
	}
	switch args[0] {
	case "testdata":
		return runTestdata(args[1:], stderr)
	case "bench":
		return runBench(args[1:], stderr)
	}
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
}

// parse parses a subcommand's flags, reporting errors as usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

package main

import (
	"flag"
	"fmt"
	"io"

	"pdnsx/internal/capgen"
)

// runTestdata regenerates the scenario captures.
func runTestdata(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("testdata", flag.ContinueOnError)
	dir := fs.String("dir", "testdata/captures", "directory to write the captures into")
	if err := parse(fs, args); err != nil {
		return err
	}

	files, size, err := capgen.WriteTestdata(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "pdnsx-gen: wrote %d files, %d bytes, to %s\n", files, size, *dir)
	return nil
}

// Package pcapread reads packet capture files: classic pcap (micro- and
// nanosecond timestamps, either byte order) and pcapng (several sections and
// interfaces, per-interface link type and timestamp resolution), optionally
// compressed with gzip or zstd. Formats and compression are recognised by their
// magic bytes, never by the file name.
//
// A Reader yields frames in file order, numbered from 1 as Wireshark numbers
// them. It reads the file once: the SHA-256 and size it reports are those of
// the bytes as stored (compressed, when the file is compressed), computed in
// the same pass that parses the frames.
//
// Damage is reported, not hidden. Every frame before the damage is yielded;
// then Err returns a *FormatError carrying the file, the number of the frame
// that could not be read and its byte offset, wrapping ErrTruncated,
// ErrCorrupt or ErrNotCapture.
//
// The package knows nothing of protocols: frame bytes are handed on as
// captured, with their link type.
package pcapread

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
//
// # Reading
//
// The Reader reads through a 1 MiB buffer and hands out Frame.Data as a slice
// of it: Next allocates nothing, and copies only the few bytes of a record
// that straddles the end of the buffer. In pcapng, only packet blocks
// (enhanced, simple and the obsolete packet block) are frames and count in
// the numbering, across all sections. A simple packet block belongs to the
// first interface of its section and has no timestamp: its frame gets the
// time of the frame before it (the zero Time if it is the first).
//
// FormatError.Frame is 0 for damage in the file header (the pcap file header
// or the first pcapng section header block) and otherwise the number the
// next frame would have had. FormatError.Offset is that of the record or
// block in the decompressed stream.
//
// Quirks of real captures are tolerated: a captured length larger than the
// original length; a timestamp fraction of a second or more (it is added);
// FCS bits in the upper half of the pcap link-type field; the modified pcap
// format of patched libpcaps (magic a1b2cd34); a pcapng section length of -1
// (it is never used); pcapng block types the reader does not know (skipped
// by their length); a malformed list of interface options (read up to the
// first bad option).
//
// # Limits
//
// BUG: A pcap record that claims more than 256 KiB, or more than the
// snapshot length when that is larger (16 MiB at most), is ErrCorrupt, and
// so is a pcapng packet, section or interface block of more than 16 MiB plus
// 64 KiB, or any other pcapng block of more than 256 MiB.
//
// BUG: zstd frames with a window above 128 MiB (the default limit of the zstd
// tool; `zstd --long=28` and above exceed it) are ErrCorrupt. The window a
// frame declares is allocated when decoding starts, so a zstd capture may
// cost up to 128 MiB of memory while it is read.
//
// BUG: xz, lz4, bzip2 and zip are recognised only to name them in the
// ErrNotCapture detail; decompress such files first.
//
// BUG: When a compressed stream is cut short, the frames in its last,
// partial block of compressed data are lost with it (up to 128 KiB for zstd,
// less for gzip). Bytes after the last gzip member, even zero padding, are
// reported as damage: ErrTruncated when they are shorter than a gzip header,
// else ErrCorrupt.
//
// BUG: pcapng timestamps are truncated to nanoseconds; if_tsresol finer than
// 10^-19 or 2^-63 s is ErrCorrupt; seconds are clamped to ±2^60. Options other
// than if_tsresol and if_tsoffset are ignored (packet flags, hashes,
// comments), as are the contents of name resolution, interface statistics
// and decryption secrets blocks. A pcapng section whose major version is not
// 1 is ErrCorrupt. The pcap thiszone field is ignored, as libpcap does.
package pcapread

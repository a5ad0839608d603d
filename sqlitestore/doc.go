// Package sqlitestore keeps a pdnsx case file: one SQLite database holding
// the runs, captures, lookups, records and malformed payloads of an
// investigation, and the passive DNS summary built from them. It owns the
// schema and its version, decides which files it may open, writes through a
// single batched Writer, rebuilds the summary and the query indexes when an
// ingest ends (Finish), and answers the read queries of pdnsx query, info and
// export. It knows SQL and nothing of packets: it takes the plain types of
// package dnsextract and never prints.
//
// # The file
//
// A case file says what it is with PRAGMA application_id = 0x70646e73
// ("pdns") and PRAGMA user_version = SchemaVersion. Open reads the
// 100-byte SQLite header itself before SQLite sees the file, so a file
// that is not a SQLite database, a database of another application, or a
// case written by a newer pdnsx is refused without being touched. An
// absent or empty file becomes a new case.
//
// Times are TEXT, ISO-8601 in UTC with nine fractional digits
// (2026-12-03T16:21:13.123456789Z): they sort as text and SQLite's date
// functions read them. Addresses are TEXT (10.1.2.3, 2001:db8::1). DNS
// types, classes, opcodes, response codes and sections are TEXT
// mnemonics as miekg/dns prints them (A, IN, QUERY, NXDOMAIN, answer),
// with the RFC 3597 forms TYPE65280 and CLASS32769, and RCODE100 and
// OPCODE7, for numbers it has no name for. Names are stored once each in
// the names table, as seen and in a reversed lowercase form (rname) that
// makes suffix searches use an index: every name under evil.example has
// rname >= 'example.evil.' AND rname < 'example.evil/'.
//
// # Crash consistency
//
// The writer runs with a rollback journal (journal_mode=DELETE) and
// synchronous=OFF. SQLite writes the journal before it changes the
// database, and the operating system keeps the writes of a process that
// dies, so after a kill -9 or a crash of pdnsx the next open rolls the
// unfinished transaction back and the file is consistent: it holds every
// capture whose FinishCapture returned. Nothing is synced during the
// ingest; a power loss or an operating system crash in the middle of one
// can damage the file. Close syncs the file, so a case that was closed is
// durable. On Linux the store asks the system to start writing the file's
// pages after each commit and each step of Finish (sync_file_range, which
// waits for nothing and promises nothing), so that the sync has little
// left. WAL would survive power loss with synchronous=NORMAL, but it
// writes every page twice and leaves -wal and -shm files behind a killed
// process; the rollback journal leaves nothing beside a closed file.
//
// A store opened for writing holds the file with locking_mode=EXCLUSIVE
// until Close: a second pdnsx gets ErrInUse rather than interleaving
// rows, and queries must wait for the ingest to end.
//
// # The writer
//
// The Writer is the throughput bound of an ingest. It keeps one
// transaction open and commits every 50,000 rows, on Flush and on
// FinishCapture. The rows of a batch are packed into one buffer and
// bound and stepped in a single cgo call on the store's connection (see
// bulk.go), where database/sql and the driver would pay a conversion and
// a crossing per value. Name and lookup ids are assigned in Go (the
// store is the only writer), so a record row needs no round trip for the
// id of its lookup or name. Values that repeat (addresses, ports, flags,
// mnemonics) are converted to driver values once, and times are formatted
// into an arena, so that a lookup with three records allocates about ten
// times. No index exists during the bulk load of a new case: the writer's
// dictionary keeps the names unique, and Finish builds their unique index
// with the query indexes. A writer that must look a name up in the case
// (one added by an earlier run, or after the dictionary was full) builds
// that index first.
//
// # The summary
//
// Finish rebuilds the pdns table from every record of the case, so that it
// stays exact after a re-ingest or a deleted capture. It reads the time and
// client of every lookup, then the records in their stored order, adds them
// up in memory (summary.go) and writes the rows sorted by folded name, type,
// class and data, then their addresses. Past summaryBudget (112 MiB, about
// a million lookups of a resolver's mix) it gives up and SQLite does the
// same work with one GROUP BY over a sort on disk: the same rows and ids,
// about a second slower per million lookups, and memory that does not grow
// with the case.
//
// # Limits
//
// BUG: the frames column of a message that spans two captures (a TCP
// stream cut by a capture rotation) lists frame numbers without saying
// which capture each is in; query_capture_id and response_capture_id name
// the capture of the first frame.
//
// BUG: DeleteCapture deletes the lookups paired across the deleted capture
// and another one; re-ingesting only the deleted capture brings its half
// back as an unanswered or unsolicited lookup.
//
// BUG: a case file whose ingest was killed mid-transaction has a hot
// journal until it is opened for writing; OpenReadOnly cannot roll it
// back and fails with ErrUnfinished until then.
package sqlitestore

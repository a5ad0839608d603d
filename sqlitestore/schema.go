package sqlitestore

// ApplicationID is the PRAGMA application_id of a pdnsx case file: the
// bytes "pdns".
const ApplicationID = 0x70646e73

// SchemaVersion is the PRAGMA user_version this package writes and the
// newest it opens.
const SchemaVersion = 1

// schemaV1 creates the tables and views of schema version 1. No index is
// here: the unique index on names.name comes when the writer first needs
// it or with Finish (see namesIndex), the query indexes with Finish.
// Cases written by earlier builds declare names.name UNIQUE instead, which
// gives the same index under SQLite's own name.
const schemaV1 = `
CREATE TABLE runs(
	id INTEGER PRIMARY KEY,
	started TEXT NOT NULL,
	finished TEXT,
	version TEXT NOT NULL,
	command TEXT NOT NULL,
	outcome TEXT NOT NULL
);
CREATE TABLE captures(
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	path TEXT NOT NULL,
	size INTEGER,
	sha256 TEXT,
	format TEXT,
	compression TEXT,
	link_types TEXT,
	first_time TEXT,
	last_time TEXT,
	frames INTEGER,
	dns_messages INTEGER,
	malformed INTEGER,
	skipped TEXT,
	status TEXT NOT NULL,
	error TEXT
);
CREATE TABLE names(
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	rname TEXT NOT NULL
);
CREATE TABLE lookups(
	id INTEGER PRIMARY KEY,
	capture_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	transport TEXT NOT NULL,
	path TEXT,
	client TEXT,
	client_port INTEGER,
	server TEXT,
	server_port INTEGER,
	txid INTEGER,
	qname_id INTEGER,
	qtype TEXT,
	qclass TEXT,
	opcode TEXT,
	rcode TEXT,
	query_time TEXT,
	response_time TEXT,
	rtt_us INTEGER,
	query_flags INTEGER,
	response_flags INTEGER,
	tc INTEGER,
	aa INTEGER,
	an_count INTEGER,
	ns_count INTEGER,
	ar_count INTEGER,
	edns_udp_size INTEGER,
	edns_do INTEGER,
	edns_client_subnet TEXT,
	query_size INTEGER,
	response_size INTEGER,
	query_capture_id INTEGER,
	query_frame INTEGER,
	query_frames TEXT,
	response_capture_id INTEGER,
	response_frame INTEGER,
	response_frames TEXT
);
CREATE TABLE records(
	lookup_id INTEGER NOT NULL,
	ord INTEGER NOT NULL,
	section TEXT NOT NULL,
	name_id INTEGER NOT NULL,
	type TEXT NOT NULL,
	class TEXT NOT NULL,
	ttl INTEGER NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY(lookup_id, ord)
) WITHOUT ROWID;
CREATE TABLE malformed(
	id INTEGER PRIMARY KEY,
	capture_id INTEGER NOT NULL,
	frame INTEGER,
	frames TEXT,
	time TEXT,
	transport TEXT,
	path TEXT,
	src TEXT,
	src_port INTEGER,
	dst TEXT,
	dst_port INTEGER,
	reason TEXT,
	payload BLOB
);
CREATE TABLE pdns(
	id INTEGER PRIMARY KEY,
	name_id INTEGER NOT NULL,
	type TEXT NOT NULL,
	class TEXT NOT NULL,
	data TEXT NOT NULL,
	time_first TEXT NOT NULL,
	time_last TEXT NOT NULL,
	count INTEGER NOT NULL,
	clients INTEGER NOT NULL,
	ttl_min INTEGER NOT NULL,
	ttl_max INTEGER NOT NULL
);
CREATE TABLE pdns_addresses(
	address BLOB NOT NULL,
	pdns_id INTEGER NOT NULL,
	PRIMARY KEY(address, pdns_id)
) WITHOUT ROWID;
CREATE VIEW lookup_view AS
SELECT l.*, n.name AS qname,
	qc.sha256 AS query_sha256, qc.path AS query_capture,
	rc.sha256 AS response_sha256, rc.path AS response_capture
FROM lookups l
LEFT JOIN names n ON n.id = l.qname_id
LEFT JOIN captures qc ON qc.id = l.query_capture_id
LEFT JOIN captures rc ON rc.id = l.response_capture_id;
CREATE VIEW record_view AS
SELECT r.lookup_id, r.section, n.name AS name, r.type, r.class, r.ttl, r.data,
	l.client, l.server, l.query_time, l.response_time, q.name AS qname
FROM records r
JOIN names n ON n.id = r.name_id
JOIN lookups l ON l.id = r.lookup_id
LEFT JOIN names q ON q.id = l.qname_id;
CREATE VIEW pdns_view AS
SELECT p.id, n.name AS name, p.type, p.class, p.data, p.time_first, p.time_last,
	p.count, p.clients, p.ttl_min, p.ttl_max
FROM pdns p
JOIN names n ON n.id = p.name_id;
`

// Columns the writer fills, in the order it fills them.
var (
	lookupColumns = []string{"id", "capture_id", "kind", "transport", "path", "client",
		"client_port", "server", "server_port", "txid", "qname_id", "qtype", "qclass", "opcode",
		"rcode", "query_time", "response_time", "rtt_us", "query_flags", "response_flags", "tc",
		"aa", "an_count", "ns_count", "ar_count", "edns_udp_size", "edns_do",
		"edns_client_subnet", "query_size", "response_size", "query_capture_id", "query_frame",
		"query_frames", "response_capture_id", "response_frame", "response_frames"}
	recordColumns = []string{"lookup_id", "ord", "section", "name_id", "type", "class",
		"ttl", "data"}
	nameColumns      = []string{"id", "name", "rname"}
	malformedColumns = []string{"capture_id", "frame", "frames", "time", "transport", "path",
		"src", "src_port", "dst", "dst_port", "reason", "payload"}
)

// namesIndex makes the names of a case unique. The writer keeps them so
// through its dictionary; the index serves the lookup of a name the
// dictionary lacks, the queries, and guards against duplicates from then
// on. A bulk load adds it at the end: its inserts land at random places,
// which cost the writer about a microsecond a row more than all the rest
// of a name's row.
const namesIndex = `CREATE UNIQUE INDEX IF NOT EXISTS names_name ON names(name)`

// namesIndexed selects whether the names of a case have their unique
// index, under either of the names it may have.
const namesIndexed = `SELECT count(*) FROM sqlite_master WHERE type = 'index'
AND tbl_name = 'names' AND name IN ('names_name', 'sqlite_autoindex_names_1')`

// namesRnameIndex serves suffix searches, and the summary's reading of the
// names in the order of their folded form.
const namesRnameIndex = `CREATE INDEX IF NOT EXISTS names_rname ON names(rname)`

// queryIndexes are the other indexes the read queries use. Finish builds them
// after a bulk load, which is cheaper than maintaining them during it.
const queryIndexes = `
CREATE INDEX IF NOT EXISTS lookups_qname ON lookups(qname_id);
CREATE INDEX IF NOT EXISTS lookups_client_time ON lookups(client, query_time);
CREATE INDEX IF NOT EXISTS malformed_capture ON malformed(capture_id);
CREATE INDEX IF NOT EXISTS pdns_name ON pdns(name_id);
`

package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"pdnsx/dnsextract"
)

func TestParseNamePattern(t *testing.T) {
	tests := []struct {
		pattern string
		cond    string
		args    []any
		err     string
	}{
		{pattern: "www.Example.com", cond: "n.rname = ?", args: []any{"com.example.www."}},
		{pattern: "www.example.com.", cond: "n.rname = ?", args: []any{"com.example.www."}},
		{pattern: "*.example.com", cond: "n.rname > ? AND n.rname < ?",
			args: []any{"com.example.", "com.example/"}},
		{pattern: "*.EXAMPLE.com.", cond: "n.rname > ? AND n.rname < ?",
			args: []any{"com.example.", "com.example/"}},
		{pattern: "www.example.*", cond: `n.name LIKE ? ESCAPE '\'`,
			args: []any{"www.example._%."}},
		{pattern: "*.example.*", cond: `n.name LIKE ? ESCAPE '\'`,
			args: []any{"_%.example._%."}},
		{pattern: "_dns.*.com", cond: `n.name LIKE ? ESCAPE '\'`,
			args: []any{`\_dns._%.com.`}},
		{pattern: "100%.*", cond: `n.name LIKE ? ESCAPE '\'`, args: []any{`100\%._%.`}},
		{pattern: "*", cond: "1"},
		{pattern: "", err: "empty name"},
		{pattern: "w*w.example.com", err: "whole labels"},
		{pattern: "www..example.com", err: "empty label"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := ParseNamePattern(tt.pattern)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.cond != tt.cond || !reflect.DeepEqual(p.args, tt.args) {
				t.Errorf("cond %q %q, want %q %q", p.cond, p.args, tt.cond, tt.args)
			}
		})
	}
}

// nameCase writes lookups of names chosen for pattern matching: a name,
// names under it, a name that only ends with the same characters, and
// names whose characters LIKE would treat as wildcards.
func nameCase(t *testing.T) *Store {
	t.Helper()
	s := newCase(t)
	run, err := s.BeginRun(sampleTime, "test", "pdnsx ingest")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.StartCapture(0, &Capture{Path: "n.pcap", Status: "ingesting"}); err != nil {
		t.Fatal(err)
	}
	clients := []string{"10.0.0.1:1000", "10.0.0.2:1000", "10.0.1.1:1000",
		"[2001:db8::1]:1000", "[2001:db8:1::1]:1000"}
	var ls []*dnsextract.Lookup
	for i, name := range caseNames {
		l := answered(0, int64(2*i+1), clients[i%len(clients)], time.Duration(i)*time.Second,
			name, rr(dnsextract.Answer, name, 1, 300, fmt.Sprintf("192.0.2.%d", i+1)))
		ls = append(ls, l)
	}
	if err := w.AddLookups(ls); err != nil {
		t.Fatal(err)
	}
	if err := w.FinishCapture(0, &Capture{Path: "n.pcap", Status: "complete"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return s
}

// caseNames are the names nameCase looks up, one a second in this order.
var caseNames = []string{
	"evil.example.", "www.evil.example.", "a.b.EVIL.example.", "notevil.example.",
	"evil.example.com.", "x_y.example.", "xzy.example.",
}

func TestLookupsByName(t *testing.T) {
	s := nameCase(t)
	tests := []struct {
		pattern string
		want    []string
	}{
		{"evil.example", []string{"evil.example."}},
		{"EVIL.Example.", []string{"evil.example."}},
		{"*.evil.example", []string{"www.evil.example.", "a.b.EVIL.example."}},
		{"*.example", []string{"evil.example.", "www.evil.example.", "a.b.EVIL.example.",
			"notevil.example.", "x_y.example.", "xzy.example."}},
		{"evil.*", []string{"evil.example.", "evil.example.com."}},
		{"*.evil.*", []string{"www.evil.example.", "a.b.EVIL.example."}},
		{"x_y.example", []string{"x_y.example."}},
		{"x_y.*", []string{"x_y.example."}}, // the _ is not a wildcard
		{"*.nowhere.example", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := ParseNamePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range collect(t, s.LookupsByName(p, Filter{})) {
				got = append(got, r.QName)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("names %q, want %q", got, tt.want)
			}
		})
	}
}

func TestZeroNamePattern(t *testing.T) {
	s := newCase(t)
	for _, err := range s.LookupsByName(NamePattern{}, Filter{}) {
		if !errors.Is(err, errNoPattern) {
			t.Errorf("LookupsByName(NamePattern{}) error %v, want errNoPattern", err)
		}
	}
	for _, err := range s.PDNSByName(NamePattern{}, Filter{}) {
		if !errors.Is(err, errNoPattern) {
			t.Errorf("PDNSByName(NamePattern{}) error %v, want errNoPattern", err)
		}
	}
}

func TestLookupFilters(t *testing.T) {
	s := nameCase(t)
	all, _ := ParseNamePattern("*")
	second := func(i int) time.Time { return sampleTime.Add(time.Duration(i) * time.Second) }
	tests := []struct {
		name   string
		filter Filter
		want   []int // indexes into caseNames
	}{
		{"since is inclusive", Filter{Since: second(2)}, []int{2, 3, 4, 5, 6}},
		{"until is exclusive", Filter{Until: second(2)}, []int{0, 1}},
		{"window", Filter{Since: second(1), Until: second(3)}, []int{1, 2}},
		{"one nanosecond past", Filter{Since: second(1).Add(1), Until: second(3)}, []int{2}},
		{"limit", Filter{Limit: 3}, []int{0, 1, 2}},
		{"type", Filter{Types: []string{"AAAA"}}, nil},
		{"type A", Filter{Types: []string{"AAAA", "A"}, Limit: 1}, []int{0}},
		{"rcode", Filter{Rcodes: []string{"NOERROR"}, Limit: 1}, []int{0}},
		{"no response", Filter{Rcodes: []string{""}}, nil},
		{"failed", Filter{Rcodes: []string{"NXDOMAIN", "SERVFAIL"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, r := range collect(t, s.LookupsByName(all, tt.filter)) {
				got = append(got, int(r.Query.Time.Sub(sampleTime)/time.Second))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lookups %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLookupsByClient(t *testing.T) {
	s := nameCase(t)
	tests := []struct {
		prefix string
		want   []int // indexes into caseNames
	}{
		{"10.0.0.1/32", []int{0, 5}},
		{"10.0.0.0/24", []int{0, 1, 5, 6}},
		{"10.0.0.0/23", []int{0, 1, 2, 5, 6}},
		{"10.0.0.0/8", []int{0, 1, 2, 5, 6}},
		{"2001:db8::/32", []int{3, 4}},
		{"2001:db8::/48", []int{3}},
		{"2001:db8::1/128", []int{3}},
		{"192.168.0.0/16", nil},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			var got []int
			for _, r := range collect(t, s.LookupsByClient(netip.MustParsePrefix(tt.prefix),
				Filter{})) {
				got = append(got, int(r.Query.Time.Sub(sampleTime)/time.Second))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lookups %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResolutionFields(t *testing.T) {
	s := pdnsCase(t)
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	p, _ := ParseNamePattern("www.evil.example")
	got := collect(t, s.LookupsByName(p, Filter{}))
	if len(got) != 3 {
		t.Fatalf("%d lookups, want 3", len(got))
	}
	r := got[2]
	want := &Resolution{ID: 4, Kind: "answered", Transport: "udp", Client: "2001:db8:1::5",
		ClientPort: 1000, Server: "192.0.2.53", ServerPort: 53, TxID: 7,
		QName: "www.evil.example.", QType: "A", QClass: "IN", Rcode: "NOERROR",
		RTT: time.Millisecond,
		Query: &Message{Time: sampleTime.Add(time.Minute), Flags: 0x0100, Capture: "c.pcap",
			SHA256: "b", Frame: 1},
		Response: &Message{Time: at(time.Minute), Flags: 0x8180, Capture: "c.pcap",
			SHA256: "b", Frame: 2},
		Answers: []Answer{{"www.evil.example.", "A", "IN", 120, "203.0.113.7"},
			{"www.evil.example.", "AAAA", "IN", 120, "2001:db8::7"}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resolution\n%+v\nwant\n%+v", r, want)
	}
	if !r.Time().Equal(want.Query.Time) {
		t.Errorf("Time() = %v, want the query's %v", r.Time(), want.Query.Time)
	}
}

// bigScan matches a plan step that reads a big table through: lookups,
// records or pdns under the aliases the queries give them.
var bigScan = regexp.MustCompile(`(?m)^SCAN (l|a|p)( |$)`)

// TestQueriesUseIndexes checks the plan of each query the commands run, on
// a case large enough for the planner's statistics to matter.
func TestQueriesUseIndexes(t *testing.T) {
	s := newCase(t)
	if err := writeCaptures(t, s, 1, 5000).Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exact, _ := ParseNamePattern("host1.example1.com")
	under, _ := ParseNamePattern("*.example1.com")
	window := Filter{Since: sampleTime, Until: sampleTime.Add(time.Hour), Limit: 10}
	clients, err := s.clientsIn(netip.MustParsePrefix("10.1.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}

	var name, suffix, client, clientBlock where
	name.add("l.qname_id IN (SELECT id FROM names n WHERE "+exact.cond+")", exact.args...)
	suffix.add("l.qname_id IN (SELECT id FROM names n WHERE "+under.cond+")", under.args...)
	client.add("l.client = ?", "10.1.0.1")
	clientBlock.add("l.client IN (SELECT value FROM json_each(?))", clients)
	var address, pdnsName where
	lo, hi := prefixRange(netip.MustParsePrefix("203.0.113.0/28"))
	address.add("p.id IN (SELECT pdns_id FROM pdns_addresses WHERE address BETWEEN ? AND ?)",
		lo, hi)
	pdnsName.add("p.name_id IN (SELECT id FROM names n WHERE "+under.cond+")", under.args...)

	type plan struct {
		name  string
		query func() (string, []any, error)
		uses  []string
	}
	lookups := func(w where) func() (string, []any, error) {
		return func() (string, []any, error) {
			query, args := resolutionQuery(w, window)
			return query, args, nil
		}
	}
	pdns := func(w where) func() (string, []any, error) {
		return func() (string, []any, error) { return pdnsQuery(w, window) }
	}
	for _, tt := range []plan{
		{"exact name", lookups(name), []string{"names_rname (rname=?)", "lookups_qname"}},
		{"suffix", lookups(suffix), []string{"names_rname (rname>? AND rname<?)",
			"lookups_qname"}},
		{"client", lookups(client), []string{"lookups_client_time (client=?)"}},
		{"client block", lookups(clientBlock), []string{"lookups_client_time (client=?)"}},
		{"address", pdns(address), []string{"pdns_addresses USING PRIMARY KEY (address>? AND"}},
		{"pdns name", pdns(pdnsName), []string{"names_rname", "pdns_name (name_id=?)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			query, args, err := tt.query()
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var b strings.Builder
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				b.WriteString(detail + "\n")
			}
			for _, u := range tt.uses {
				if !strings.Contains(b.String(), u) {
					t.Errorf("plan lacks %q:\n%s", u, b.String())
				}
			}
			if bigScan.MatchString(b.String()) {
				t.Errorf("plan scans a big table:\n%s", b.String())
			}
		})
	}
}

func TestInfo(t *testing.T) {
	s := nameCase(t)
	info, err := s.Info(2)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d lookups %v rcodes %v records %d names %d pdns %d malformed %d "+
		"names %v clients %v captures %d runs %d", info.Lookups, info.Kinds, info.Rcodes,
		info.Records, info.Names, info.PDNS, info.Malformed, info.TopNames, info.TopClients,
		len(info.Captures), len(info.Runs))
	want := "7 lookups [{answered 7}] rcodes [{NOERROR 7}] records 7 names 7 pdns 7 " +
		"malformed 0 names [{evil.example. 1} {www.evil.example. 1}] " +
		"clients [{10.0.0.1 2} {10.0.0.2 2}] captures 1 runs 1"
	if got != want {
		t.Errorf("info:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzNamePattern checks that a pattern matches its own instances: the
// name made by putting a label "x" for each "*" must satisfy the condition
// the pattern builds (the rname comparison, or LIKE with its escapes),
// run by SQLite on a names table holding that name. The seeds are in
// testdata/fuzz/FuzzNamePattern.
func FuzzNamePattern(f *testing.F) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT, rname TEXT)"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := ParseNamePattern(pattern)
		if err != nil {
			return
		}
		name := pattern
		if !strings.HasSuffix(name, ".") || strings.HasSuffix(name, `\.`) {
			name += "."
		}
		labels := splitLabels(name)
		for i, l := range labels {
			if l == "*" {
				labels[i] = "x"
			}
		}
		instance := strings.Join(labels, ".") + "."
		if _, err := db.Exec("DELETE FROM names; INSERT INTO names(name, rname) VALUES (?, ?)",
			instance, reverseName(instance)); err != nil {
			t.Fatal(err)
		}
		var n int
		err = db.QueryRow("SELECT count(*) FROM names n WHERE "+p.cond, p.args...).Scan(&n)
		if err != nil {
			t.Fatalf("pattern %q: %s: %v", pattern, p.cond, err)
		}
		if n != 1 {
			t.Errorf("pattern %q (%s %q) does not match its instance %q", pattern, p.cond,
				p.args, instance)
		}
	})
}

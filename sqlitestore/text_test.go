package sqlitestore

import (
	"testing"
	"time"

	"pdnsx/dnsextract"
)

func TestReverseName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"www.Evil.example.", "example.evil.www."},
		{"www.Evil.example", "example.evil.www."},
		{"example.", "example."},
		{".", "."},
		{"", "."},
		{`a\.b.Example.`, `example.a\.b.`},
		{`a\\.b.`, `b.a\\.`},
		{`x\046y.EXAMPLE.`, `example.x\046y.`},
		{"_dmarc.Mail.example.", "example.mail._dmarc."},
		{"ÄB.example.", "example.Äb."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := reverseName(tc.name); got != tc.want {
				t.Errorf("reverseName(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// TestReverseNameSuffixRange checks the documented range query: the
// names under evil.example, and only they, sort between "example.evil."
// and "example.evil/".
func TestReverseNameSuffixRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   bool
	}{
		{"evil.example.", true},
		{"www.evil.example.", true},
		{"a.b.EVIL.example.", true},
		{"notevil.example.", false},
		{"evil.example.com.", false},
		{"evil-twin.example.", false},
		{"example.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reverseName(tc.name)
			if in := r >= "example.evil." && r < "example.evil/"; in != tc.in {
				t.Errorf("%q (rname %q) in the range of evil.example: %v, want %v",
					tc.name, r, in, tc.in)
			}
		})
	}
}

func TestAppendTime(t *testing.T) {
	for _, tc := range []struct {
		time time.Time
		want string
	}{
		{time.Date(2026, 12, 3, 16, 21, 13, 123456789, time.UTC), "2026-12-03T16:21:13.123456789Z"},
		{time.Date(2026, 12, 3, 17, 21, 13, 5000, time.FixedZone("CET", 3600)),
			"2026-12-03T16:21:13.000005000Z"},
		{time.Unix(0, 0), "1970-01-01T00:00:00.000000000Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999999Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "10000-01-01T00:00:00.000000000Z"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			got := string(appendTime([]byte("x"), tc.time))
			if got != "x"+tc.want {
				t.Errorf("appendTime(%v) = %q, want %q", tc.time, got, "x"+tc.want)
			}
			if tc.time.Year() <= 9999 {
				back, err := parseTime(tc.want)
				if err != nil || !back.Equal(tc.time) {
					t.Errorf("parseTime(%q) = %v, %v; want %v", tc.want, back, err, tc.time)
				}
			}
		})
	}
}

func TestMnemonics(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{typeText(1), "A"},
		{typeText(65), "HTTPS"},
		{typeText(65280), "TYPE65280"},
		{classText(1), "IN"},
		{classText(255), "ANY"},
		{classText(32769), "CLASS32769"},
		{rcodeText(3), "NXDOMAIN"},
		{rcodeText(100), "RCODE100"},
		{opcodeText(0), "QUERY"},
		{opcodeText(5), "UPDATE"},
		{opcodeText(7), "OPCODE7"},
		{dnsextract.Additional.String(), "additional"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestFramesText(t *testing.T) {
	for _, tc := range []struct {
		frames []dnsextract.FrameRef
		want   string
	}{
		{nil, ""},
		{frames(0, 12), ""},
		{frames(0, 12, 13, 15), "12,13,15"},
	} {
		if got := framesText(tc.frames); got != tc.want {
			t.Errorf("framesText(%v) = %q, want %q", tc.frames, got, tc.want)
		}
	}
}

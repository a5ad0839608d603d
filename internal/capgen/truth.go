package capgen

// Capture statuses, as the captures table of a case file names them.
const (
	StatusComplete  = "complete"
	StatusTruncated = "truncated"
	StatusCorrupt   = "corrupt"
	StatusFailed    = "failed"
)

// Truth is what a generated capture holds, counted by the generator as it
// wrote it: what a correct ingest of the file alone must report.
//
// Conventions behind the counts:
//   - Queries and responses pair by flow (client and server address and
//     port), transaction ID and question, within a pairing timeout of at
//     least a few seconds and under five minutes; a response captured a
//     little before its query still pairs with it.
//   - When a query is repeated before its response, the response pairs with
//     one of them and the other is unanswered (as Zeek counts).
//   - Multicast DNS (port 5353) and LLMNR (port 5355) messages are never
//     paired: a query counts as unanswered, a response as unsolicited.
//   - A DNS message that lost bytes in a TCP gap, or is cut off at the end
//     of the capture, is neither a message nor malformed: it is lost. After
//     a gap, decoding resumes with the next captured segment, which the
//     scenarios start at a message boundary. Retransmitted segments add no
//     messages.
//   - A message that miekg/dns unpacks is a message, even if its header
//     counts promise more records than it holds (see count-lie).
//   - Records counts the resource records of every decoded message, in the
//     answer, authority and additional sections, OPT excluded.
type Truth struct {
	Status      string   `json:"status"`          // StatusComplete, StatusTruncated, ...
	Frames      int      `json:"frames"`          // frames a reader yields (before any damage)
	Messages    int      `json:"messages"`        // DNS messages that decode
	Answered    int      `json:"answered"`        // lookups: a query and its response
	Unanswered  int      `json:"unanswered"`      // lookups: a query alone
	Unsolicited int      `json:"unsolicited"`     // lookups: a response alone
	Records     int      `json:"records"`         // records of the decoded messages
	Malformed   int      `json:"malformed"`       // DNS payloads that do not decode
	Ports       []uint16 `json:"ports,omitempty"` // ports beyond 53, 5353, 5355 the counts take as DNS
}

// Lookups returns the number of lookups of all kinds.
func (t Truth) Lookups() int {
	return t.Answered + t.Unanswered + t.Unsolicited
}

package candour

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// AuditVersion is the version of the audit leaf encoding written by this code.
const AuditVersion = 1

// Outcomes recorded in the audit log.
const (
	OutcomeOK          = "ok"          // the request was carried out
	OutcomeDenied      = "denied"      // policy said no
	OutcomeNotFound    = "not_found"   // no such record
	OutcomeUnavailable = "unavailable" // a dependency failed; nothing was returned
)

// AuditEntry is one line of the audit log: who did what, why, on which records,
// under which decision, with what outcome. It holds no personal data: records
// are named by id, queries by digest, and subject references never appear.
type AuditEntry struct {
	Version   int       `json:"v"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`
	Actor     Principal `json:"actor"`
	Action    Action    `json:"action"`
	Purpose   Purpose   `json:"purpose,omitempty"`
	Records   []string  `json:"records,omitempty"`
	Query     string    `json:"query,omitempty"` // hex SHA-256 of the canonical query, for list and aggregate reads
	// QueryParams is what an insight request asked, in canonical form
	// ("group_by=period; from=2026-08; to=; service="): dimensions, months
	// and a service id, which hold no personal data, so that an auditor
	// can read what an analyst asked.
	QueryParams string        `json:"query_params,omitempty"`
	Decision    AuditDecision `json:"decision"`
	Outcome     string        `json:"outcome"`
	Flag        string        `json:"flag,omitempty"` // set by a policy obligation, e.g. admin_content_access
}

// AuditDecision is the part of a policy decision the log keeps.
type AuditDecision struct {
	ID       string `json:"id,omitempty"`
	Revision string `json:"revision,omitempty"`
	Allow    bool   `json:"allow"`
}

// Bounds on one audit entry: no request can write an entry that crowds the
// log (or fails its batch neighbours' group commit).
const (
	MaxAuditRecords   = 100      // record ids one entry names
	MaxAuditLeafBytes = 16 << 10 // the encoded entry
)

// MarshalLeaf returns the exact bytes that are stored and hashed as the
// entry's Merkle leaf: the compact JSON encoding of the entry with its version
// set, fields in declaration order and the time in UTC. The same entry always
// yields the same bytes. An entry naming more than MaxAuditRecords records,
// or longer than MaxAuditLeafBytes, is refused.
func (e AuditEntry) MarshalLeaf() ([]byte, error) {
	if len(e.Records) > MaxAuditRecords {
		return nil, fmt.Errorf("audit entry names %d records, more than %d", len(e.Records), MaxAuditRecords)
	}
	e.Version = AuditVersion
	e.Time = e.Time.UTC()
	b, ok := e.appendPlain(make([]byte, 0, 512))
	var err error
	if !ok {
		b, err = json.Marshal(e)
	}
	if err == nil && len(b) > MaxAuditLeafBytes {
		return nil, fmt.Errorf("audit entry of %d bytes, more than %d", len(b), MaxAuditLeafBytes)
	}
	return b, err
}

// appendPlain appends e as json.Marshal would write it, by hand and about
// ten times faster, when every string in it is plain ASCII (no control
// characters, quotes, backslashes or HTML's <, > and &) and its time a
// plain year; otherwise it reports false and the caller uses json.Marshal.
// TestMarshalLeafByHand holds the two to the same bytes.
func (e AuditEntry) appendPlain(b []byte) ([]byte, bool) {
	ok := true
	str := func(s string) {
		for i := range len(s) {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				ok = false
				return
			}
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	if y := e.Time.Year(); y < 1 || y > 9999 {
		return nil, false
	}
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(e.Version), 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if e.RequestID != "" {
		b = append(b, `,"request_id":`...)
		str(e.RequestID)
	}
	b = append(b, `,"actor":{"iss":`...)
	str(e.Actor.Issuer)
	b = append(b, `,"sub":`...)
	str(e.Actor.Subject)
	b = append(b, `,"agency":`...)
	str(e.Actor.Agency)
	b = append(b, `,"roles":`...)
	if e.Actor.Roles == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range e.Actor.Roles {
			if i > 0 {
				b = append(b, ',')
			}
			str(string(r))
		}
		b = append(b, ']')
	}
	b = append(b, `},"action":`...)
	str(string(e.Action))
	if e.Purpose != "" {
		b = append(b, `,"purpose":`...)
		str(string(e.Purpose))
	}
	if len(e.Records) > 0 {
		b = append(b, `,"records":[`...)
		for i, r := range e.Records {
			if i > 0 {
				b = append(b, ',')
			}
			str(r)
		}
		b = append(b, ']')
	}
	if e.Query != "" {
		b = append(b, `,"query":`...)
		str(e.Query)
	}
	if e.QueryParams != "" {
		b = append(b, `,"query_params":`...)
		str(e.QueryParams)
	}
	b = append(b, `,"decision":{`...)
	if e.Decision.ID != "" {
		b = append(b, `"id":`...)
		str(e.Decision.ID)
		b = append(b, ',')
	}
	if e.Decision.Revision != "" {
		b = append(b, `"revision":`...)
		str(e.Decision.Revision)
		b = append(b, ',')
	}
	b = append(b, `"allow":`...)
	b = strconv.AppendBool(b, e.Decision.Allow)
	b = append(b, `},"outcome":`...)
	str(e.Outcome)
	if e.Flag != "" {
		b = append(b, `,"flag":`...)
		str(e.Flag)
	}
	b = append(b, '}')
	return b, ok
}

// Split returns e as entries naming at most MaxAuditRecords records each,
// alike in everything else: how an action on many records (an erasure) is
// logged.
func (e AuditEntry) Split() []AuditEntry {
	if len(e.Records) <= MaxAuditRecords {
		return []AuditEntry{e}
	}
	var out []AuditEntry
	for ids := range slices.Chunk(e.Records, MaxAuditRecords) {
		part := e
		part.Records = ids
		out = append(out, part)
	}
	return out
}

// ParseAuditLeaf decodes leaf bytes written by MarshalLeaf. It rejects unknown
// versions and any bytes that MarshalLeaf would not have produced.
func ParseAuditLeaf(leaf []byte) (AuditEntry, error) {
	// Most leaves are plain ASCII: read them by hand, and accept them when
	// writing the entry back gives the same bytes (then json.Marshal would
	// too). Anything else takes the general path below.
	if e, ok := parsePlainLeaf(leaf); ok && e.Version == AuditVersion {
		e.Time = e.Time.UTC() // as MarshalLeaf writes it
		if again, ok := e.appendPlain(make([]byte, 0, len(leaf))); ok && string(again) == string(leaf) {
			return e, nil
		}
	}
	var e AuditEntry
	if err := json.Unmarshal(leaf, &e); err != nil {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: %w", err)
	}
	if e.Version != AuditVersion {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: unknown version %d", e.Version)
	}
	again, err := e.MarshalLeaf()
	if err != nil || string(again) != string(leaf) {
		return AuditEntry{}, fmt.Errorf("parse audit leaf: not in canonical form")
	}
	return e, nil
}

// plainReader reads a leaf written by appendPlain: keys in order, strings
// without escapes. Any surprise makes it fail, and the caller falls back to
// encoding/json.
type plainReader struct {
	b   []byte
	bad bool
}

func (p *plainReader) lit(s string) {
	if p.bad || len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		p.bad = true
		return
	}
	p.b = p.b[len(s):]
}

// opt consumes s when the input starts with it.
func (p *plainReader) opt(s string) bool {
	if p.bad || len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

func (p *plainReader) str() string {
	p.lit(`"`)
	if p.bad {
		return ""
	}
	for i, c := range p.b {
		switch {
		case c == '"':
			s := string(p.b[:i])
			p.b = p.b[i+1:]
			return s
		case c == '\\' || c < 0x20 || c >= 0x7f:
			p.bad = true
			return ""
		}
	}
	p.bad = true
	return ""
}

func (p *plainReader) strs() []string {
	if p.opt("null") {
		return nil
	}
	p.lit("[")
	out := []string{}
	for !p.bad && !p.opt("]") {
		if len(out) > 0 {
			p.lit(",")
		}
		out = append(out, p.str())
	}
	return out
}

func parsePlainLeaf(leaf []byte) (AuditEntry, bool) {
	var e AuditEntry
	p := plainReader{b: leaf}
	p.lit(`{"v":`)
	n := 0
	for n < len(p.b) && n < 9 && p.b[n] >= '0' && p.b[n] <= '9' {
		e.Version = e.Version*10 + int(p.b[n]-'0')
		n++
	}
	if n == 0 {
		return e, false
	}
	p.b = p.b[n:]
	p.lit(`,"time":`)
	ts := p.str()
	if p.bad {
		return e, false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return e, false
	}
	e.Time = t
	if p.opt(`,"request_id":`) {
		e.RequestID = p.str()
	}
	p.lit(`,"actor":{"iss":`)
	e.Actor.Issuer = p.str()
	p.lit(`,"sub":`)
	e.Actor.Subject = p.str()
	p.lit(`,"agency":`)
	e.Actor.Agency = p.str()
	p.lit(`,"roles":`)
	if roles := p.strs(); roles != nil {
		e.Actor.Roles = make([]Role, len(roles))
		for i, r := range roles {
			e.Actor.Roles[i] = Role(r)
		}
	}
	p.lit(`},"action":`)
	e.Action = Action(p.str())
	if p.opt(`,"purpose":`) {
		e.Purpose = Purpose(p.str())
	}
	if p.opt(`,"records":`) {
		e.Records = p.strs()
	}
	if p.opt(`,"query":`) {
		e.Query = p.str()
	}
	if p.opt(`,"query_params":`) {
		e.QueryParams = p.str()
	}
	p.lit(`,"decision":{`)
	if p.opt(`"id":`) {
		e.Decision.ID = p.str()
		p.lit(",")
	}
	if p.opt(`"revision":`) {
		e.Decision.Revision = p.str()
		p.lit(",")
	}
	p.lit(`"allow":`)
	switch {
	case p.opt("true"):
		e.Decision.Allow = true
	case p.opt("false"):
	default:
		return e, false
	}
	p.lit(`},"outcome":`)
	e.Outcome = p.str()
	if p.opt(`,"flag":`) {
		e.Flag = p.str()
	}
	p.lit("}")
	return e, !p.bad && len(p.b) == 0
}

// AuditLeaf is a stored log entry: its 0-based position and its leaf bytes.
type AuditLeaf struct {
	Seq  int64
	Leaf []byte
}

// AuditFilter selects audit entries, oldest first. Zero fields match all.
type AuditFilter struct {
	After   int64 // only entries with Seq > After; -1 for all
	Limit   int
	Actor   string // principal subject
	Action  Action
	Record  string
	Outcome string    // OutcomeOK, OutcomeDenied …
	Since   time.Time // only entries at or after this time, when set
	Until   time.Time // only entries before this time, when set
	// Newest lists the newest first; Before then pages back (only entries
	// with Seq < Before, when it is above 0).
	Newest bool
	Before int64
	// Agencies, when not nil, keeps the entries of these agencies' staff
	// and about their records (an agency's auditor); nil keeps all.
	Agencies []string
}

// AuditLog appends entries. Append is atomic: either the entry is durably
// stored at the returned sequence number or an error is returned.
type AuditLog interface {
	AppendAudit(ctx context.Context, e AuditEntry) (seq int64, err error)
}

// AuditReader lists stored entries.
type AuditReader interface {
	AuditEntries(ctx context.Context, f AuditFilter) ([]AuditLeaf, error)
}

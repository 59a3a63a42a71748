package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/candour-vault/candour"
)

// AuditService serves auditors (audit.Service), as the API uses it.
type AuditService interface {
	Entries(ctx context.Context, c candour.Caller, f candour.AuditFilter) ([]candour.AuditLeaf, error)
	Checkpoint(ctx context.Context, c candour.Caller) ([]byte, error)
	IssueCheckpoint(ctx context.Context, c candour.Caller) ([]byte, error)
	VerifierKey() string
}

// auditPageSize is how many entries a page of the log shows.
const auditPageSize = 25

// auditRow is one entry of the log, in words.
type auditRow struct {
	Seq             int64
	E               candour.AuditEntry
	Action, Outcome string
}

// auditRows decodes leaves into rows in words.
func auditRows(leaves []candour.AuditLeaf) ([]auditRow, error) {
	rows := make([]auditRow, 0, len(leaves))
	for _, l := range leaves {
		e, err := candour.ParseAuditLeaf(l.Leaf)
		if err != nil {
			return nil, err
		}
		rows = append(rows, auditRow{Seq: l.Seq, E: e, Action: actionWords(e.Action), Outcome: outcomeWords(e.Outcome)})
	}
	return rows, nil
}

func actionWords(a candour.Action) string {
	words := map[candour.Action]string{
		candour.ActionFeedbackCreate: "Recorded feedback", candour.ActionFeedbackRead: "Read a record",
		candour.ActionFeedbackWithdraw: "Withdrew consent", candour.ActionFeedbackList: "Listed records",
		candour.ActionAuditRead: "Read the audit log", candour.ActionAuditCheckpoint: "Signed a checkpoint",
		candour.ActionInsightSummary: "Asked for figures", candour.ActionInsightComments: "Read redacted comments",
		candour.ActionInsightExport: "Exported insight", candour.ActionInsightRelease: "Released a month",
		candour.ActionKeysRotate: "Rotated keys", candour.ActionSubjectErase: "Erased a subject",
		candour.ActionFeedbackCorrect: "Corrected a record", candour.ActionSubjectAccess: "Answered a subject access request",
		candour.ActionErasurePreview: "Previewed an erasure", candour.ActionRetentionSweep: "Destroyed records past their retention",
		candour.ActionRetentionRead: "Read the retention overview", candour.ActionHoldPlace: "Placed a legal hold",
		candour.ActionHoldRelease: "Released a legal hold", candour.ActionInvitationCreate: "Made feedback links",
		candour.ActionInvitationList: "Listed feedback links",
	}
	if w, ok := words[a]; ok {
		return w
	}
	return string(a)
}

// roleWords says who acted, by role: people who work in an agency are not
// named to the person whose record it is. No role is Candour itself.
func roleWords(roles []candour.Role) string {
	if len(roles) == 0 {
		return "Candour itself"
	}
	words := map[candour.Role]string{candour.RoleCaseworker: "A caseworker", candour.RoleAnalyst: "An analyst",
		candour.RoleAuditor: "An auditor", candour.RoleAdmin: "A data protection officer or administrator",
		candour.RolePerson: "The person, through a feedback link"}
	if w, ok := words[roles[0]]; ok {
		return w
	}
	return string(roles[0])
}

// requestPurposeWords says why a request read a record.
func requestPurposeWords(p candour.Purpose) string {
	switch p {
	case candour.PurposeCaseManagement:
		return "Managing the person's case"
	case candour.PurposeAudit:
		return "Audit"
	}
	return purposeText(p)
}

func outcomeWords(o string) string {
	return map[string]string{candour.OutcomeOK: "Done", candour.OutcomeDenied: "Refused by policy",
		candour.OutcomeNotFound: "No such record", candour.OutcomeUnavailable: "Failed: a dependency was down"}[o]
}

func auditActions() []option {
	var out []option
	for _, a := range []candour.Action{candour.ActionFeedbackCreate, candour.ActionFeedbackRead, candour.ActionFeedbackList,
		candour.ActionFeedbackWithdraw, candour.ActionSubjectErase, candour.ActionInsightSummary, candour.ActionInsightComments,
		candour.ActionInsightExport, candour.ActionInsightRelease, candour.ActionAuditRead, candour.ActionAuditCheckpoint, candour.ActionKeysRotate,
		candour.ActionFeedbackCorrect, candour.ActionSubjectAccess, candour.ActionErasurePreview, candour.ActionRetentionSweep,
		candour.ActionRetentionRead, candour.ActionHoldPlace, candour.ActionHoldRelease} {
		out = append(out, option{Value: string(a), Text: actionWords(a)})
	}
	return out
}

func auditOutcomes() []option {
	var out []option
	for _, o := range []string{candour.OutcomeOK, candour.OutcomeDenied, candour.OutcomeNotFound, candour.OutcomeUnavailable} {
		out = append(out, option{Value: o, Text: outcomeWords(o)})
	}
	return out
}

// logFilter is the log page's form, as its query string carries it.
type logFilter struct {
	Actor, Action, Record, Outcome, From, To string
	Before                                   int64
}

func readLogFilter(v url.Values) logFilter {
	f := logFilter{Actor: strings.TrimSpace(v.Get("actor")), Action: v.Get("action"), Record: strings.TrimSpace(v.Get("record")),
		Outcome: v.Get("outcome"), From: v.Get("from"), To: v.Get("to")}
	f.Before, _ = strconv.ParseInt(v.Get("before"), 10, 64)
	return f
}

// check turns the form into a store filter, or the problems with it. From
// and To are dates (YYYY-MM-DD), To inclusive.
func (f logFilter) check() (candour.AuditFilter, []fieldError) {
	af := candour.AuditFilter{After: -1, Limit: auditPageSize, Newest: true, Before: f.Before,
		Actor: f.Actor, Action: candour.Action(f.Action), Record: f.Record, Outcome: f.Outcome}
	var errs []fieldError
	if f.Action != "" && !inOptions(auditActions(), f.Action) {
		errs = append(errs, fieldError{"action", "Select an action from the list"})
	}
	if f.Outcome != "" && !inOptions(auditOutcomes(), f.Outcome) {
		errs = append(errs, fieldError{"outcome", "Select an outcome from the list"})
	}
	if f.Record != "" && !validID(f.Record) {
		errs = append(errs, fieldError{"record", "A record reference looks like 01a23627-4484-7916-b281-e956bf279a88"})
	}
	if len(f.Actor) > maxActorBytes {
		errs = append(errs, fieldError{"actor", "A person's identifier is at most 255 characters"})
	}
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			errs = append(errs, fieldError{field, "Dates are written as year-month-day, for example 2026-11-30"})
		}
		return t
	}
	af.Since = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		af.Until = to.AddDate(0, 0, 1)
	}
	if !af.Since.IsZero() && !af.Until.IsZero() && !af.Since.Before(af.Until) {
		errs = append(errs, fieldError{"to", "The last day must be the same as or after the first"})
	}
	return af, errs
}

func (f logFilter) encode(before int64) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "record": f.Record, "outcome": f.Outcome, "from": f.From, "to": f.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	return v.Encode()
}

// entries reads one page of the log, newest first, with the filters in
// the store; next is the cursor of the older page (0 when there is none).
// Every read of the log is audited by the service.
func (s *Server) entries(r *http.Request, in signedIn, af candour.AuditFilter) (rows []auditRow, next int64, err error) {
	leaves, err := s.cfg.Audit.Entries(r.Context(), in.callerFor(r, candour.PurposeAudit), af)
	if err != nil {
		return nil, 0, err
	}
	if len(leaves) == af.Limit && len(leaves) > 0 {
		next = leaves[len(leaves)-1].Seq
	}
	rows, err = auditRows(leaves)
	return rows, next, err
}

// logPage is what the log page shows.
type logPage struct {
	F                 logFilter
	Actions, Outcomes []option
	Rows              []auditRow
	Older             string
}

// auditLog shows the log, newest first, filtered.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, in signedIn) {
	f := readLogFilter(r.URL.Query())
	p := logPage{F: f, Actions: auditActions(), Outcomes: auditOutcomes()}
	af, errs := f.check()
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "audit-log", view{Title: "Error: The audit log", Nav: "audit", Errors: errs, Data: p})
		return
	}
	rows, next, err := s.entries(r, in, af)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Rows = rows
	if next > 0 {
		p.Older = "/audit?" + f.encode(next)
	}
	s.render(w, r, http.StatusOK, "audit-log", view{Title: "The audit log", Nav: "audit", Data: p})
}

// timelinePage is one record's or one person's entries, oldest first.
type timelinePage struct {
	Record, Actor string
	Rows          []auditRow
	More          bool
}

// recordTimeline answers "who saw this record": every entry that names it,
// oldest first.
func (s *Server) recordTimeline(w http.ResponseWriter, r *http.Request, in signedIn) {
	id := r.PathValue("id")
	if !validID(id) {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	s.timeline(w, r, in, timelinePage{Record: id}, candour.AuditFilter{Record: id})
}

// actorTimeline answers "what did this person do".
func (s *Server) actorTimeline(w http.ResponseWriter, r *http.Request, in signedIn) {
	actor := strings.TrimSpace(r.URL.Query().Get("actor"))
	if actor == "" || len(actor) > maxActorBytes {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	s.timeline(w, r, in, timelinePage{Actor: actor}, candour.AuditFilter{Actor: actor})
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request, in signedIn, p timelinePage, af candour.AuditFilter) {
	const most = 200
	af.After, af.Limit = -1, most+1
	leaves, err := s.cfg.Audit.Entries(r.Context(), in.callerFor(r, candour.PurposeAudit), af)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(leaves) > most {
		leaves, p.More = leaves[:most], true
	}
	if p.Rows, err = auditRows(leaves); err != nil {
		s.fail(w, r, err)
		return
	}
	title := "Who saw this record"
	if p.Actor != "" {
		title = "What this person did"
	}
	s.render(w, r, http.StatusOK, "audit-timeline", view{Title: title, Nav: "audit", Data: p})
}

// checkpointPage is the latest signed checkpoint, as the server checked it.
type checkpointPage struct {
	Text        string
	Origin      string
	Size        int64
	Root        string
	SignatureOK bool
	Problem     string
	VerifierKey string
	Checked     bool
}

// checkpointView parses and verifies a signed checkpoint with the log's key.
func (s *Server) checkpointView(signed []byte) checkpointPage {
	p := checkpointPage{Text: string(signed), VerifierKey: s.cfg.Audit.VerifierKey()}
	v, err := note.NewVerifier(p.VerifierKey)
	if err != nil {
		p.Problem = "The log's verifier key is malformed."
		return p
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		p.Problem = "The checkpoint's signature does not verify with the log's key."
		return p
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		p.Problem = "The checkpoint is malformed."
		return p
	}
	p.SignatureOK, p.Origin, p.Root = true, lines[0], lines[2]
	p.Size, _ = strconv.ParseInt(lines[1], 10, 64)
	return p
}

// auditCheckpoint shows the latest signed checkpoint and the command that
// checks the log against it independently.
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request, in signedIn) {
	signed, err := s.cfg.Audit.Checkpoint(r.Context(), in.callerFor(r, candour.PurposeAudit))
	if candour.ErrorCode(err) == candour.ENOTFOUND { // none signed yet
		s.render(w, r, http.StatusOK, "audit-checkpoint", view{Title: "Checkpoints", Nav: "audit",
			Data: checkpointPage{VerifierKey: s.cfg.Audit.VerifierKey()}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit-checkpoint", view{Title: "Checkpoints", Nav: "audit", Data: s.checkpointView(signed)})
}

// auditCheckNow has the server integrate the log, check that it extends its
// latest checkpoint, and sign a new one; the page says what it found.
func (s *Server) auditCheckNow(w http.ResponseWriter, r *http.Request, in signedIn) {
	signed, err := s.cfg.Audit.IssueCheckpoint(r.Context(), in.callerFor(r, candour.PurposeAudit))
	var p checkpointPage
	switch {
	case err == nil:
		p = s.checkpointView(signed)
	case candour.ErrorCode(err) == candour.EFORBIDDEN:
		s.fail(w, r, err)
		return
	default:
		s.log.Error("checking the log failed", "request_id", requestID(r.Context()), "err", err)
		p = checkpointPage{VerifierKey: s.cfg.Audit.VerifierKey(),
			Problem: "The server could not sign a new checkpoint. If the log no longer extends its latest checkpoint, the log has been changed: follow the tampering procedure of the operations guide."}
	}
	p.Checked = true
	s.render(w, r, http.StatusOK, "audit-checkpoint", view{Title: "Checkpoints", Nav: "audit", Data: p})
}

// auditExport downloads the entries of a range of days as JSON lines, each
// with its sequence number and the leaf exactly as hashed: the format of
// `candour audit export`, which `candour audit verify --log` reads (to
// verify, download the whole log: no dates, no filters).
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, in signedIn) {
	f := readLogFilter(r.URL.Query())
	af, errs := f.check()
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "audit-log", view{Title: "Error: The audit log", Nav: "audit", Errors: errs,
			Data: logPage{F: f, Actions: auditActions(), Outcomes: auditOutcomes()}})
		return
	}
	af.Newest, af.Before, af.Limit = false, 0, 1000
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="candour-audit.jsonl"`)
	enc := json.NewEncoder(w)
	for range 10000 {
		leaves, err := s.cfg.Audit.Entries(r.Context(), in.callerFor(r, candour.PurposeAudit), af)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			s.log.Error("audit export stopped", "request_id", requestID(r.Context()), "err", err)
			return // the download ends short; the seq numbers show where
		}
		for _, l := range leaves {
			enc.Encode(struct {
				Seq  int64  `json:"seq"`
				Leaf []byte `json:"leaf"`
			}{l.Seq, l.Leaf})
			af.After = l.Seq
		}
		if len(leaves) < af.Limit {
			return
		}
	}
}

// maxActorBytes bounds an actor's identifier, as the API's token verifier
// bounds sub.
const maxActorBytes = 255

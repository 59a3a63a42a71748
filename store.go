package candour

import "context"

// Caller is who is asking and why: the verified principal, the declared
// purpose (empty where none applies) and the request id that ties log lines
// and audit entries together.
type Caller struct {
	Principal Principal
	Purpose   Purpose
	RequestID string
}

// FeedbackStore keeps sealed records. Implementations never see plaintext.
type FeedbackStore interface {
	// CreateFeedback stores rec and appends e to the audit log in one
	// transaction: both are stored, or neither is. It returns e's sequence
	// number.
	CreateFeedback(ctx context.Context, rec Record, e AuditEntry) (seq int64, err error)
	// Record returns the record with the given id, or an *Error with code
	// ENOTFOUND.
	Record(ctx context.Context, id string) (Record, error)
}

// Pinger reports whether a dependency is ready to serve.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Receipt acknowledges a stored submission: the record's id and the sequence
// number of the audit entry that records it.
type Receipt struct {
	ID       string `json:"id"`
	AuditSeq int64  `json:"audit_seq"`
}

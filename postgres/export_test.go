package postgres

import (
	"context"

	"github.com/candour-vault/candour"
)

// BatchRequest is one request of a batch that CommitBatch commits by hand:
// a submission when Record is set, an audit entry alone otherwise.
type BatchRequest struct {
	Record   *candour.Record
	Idem     candour.Idempotency
	Entry    candour.AuditEntry
	Agencies string
}

// BatchAnswer is the sequencer's answer to one request.
type BatchAnswer struct {
	Seq int64
	Err error
}

// ErrReplay is errReplay, for tests.
var ErrReplay = errReplay

// CommitBatch commits reqs as one batch of the sequencer, so that the tests
// know they share it, and returns each request's answer.
func (d *DB) CommitBatch(reqs []BatchRequest) ([]BatchAnswer, error) {
	batch := make([]appendReq, len(reqs))
	for i, r := range reqs {
		leaf, err := r.Entry.MarshalLeaf()
		if err != nil {
			return nil, err
		}
		batch[i] = appendReq{entry: r.Entry, leaf: leaf, reply: make(chan appendResult, 1)}
		if r.Record != nil {
			batch[i].sub = &submission{rec: *r.Record, idem: r.Idem, agencies: r.Agencies}
		}
	}
	d.seq.commitAndReply(batch)
	out := make([]BatchAnswer, len(batch))
	for i, r := range batch {
		a := <-r.reply
		out[i] = BatchAnswer{Seq: a.seq, Err: a.err}
	}
	return out, nil
}

// Replay is replay, for tests.
func (d *DB) Replay(ctx context.Context, idem candour.Idempotency) (candour.Receipt, error) {
	return d.replay(ctx, idem)
}

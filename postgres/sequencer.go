package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/candour-vault/candour"
)

// maxBatch is the most audit entries one group commit carries.
const maxBatch = 512

// sequencer appends standalone audit entries in batches: while one batch
// commits, the next gathers, so concurrent requests share one transaction and
// one commit instead of queueing on the audit_head lock one at a time.
type sequencer struct {
	pool *pgxpool.Pool
	reqs chan appendReq
	stop chan struct{}
	done chan struct{}
	// observe, when set, is told of each group commit.
	observe atomic.Pointer[func(entries int, took time.Duration, failed bool)]
}

type appendReq struct {
	entry candour.AuditEntry
	leaf  []byte
	reply chan appendResult
}

type appendResult struct {
	seq int64
	err error
}

var errClosed = errors.New("the store is closed")

func newSequencer(pool *pgxpool.Pool) *sequencer {
	s := &sequencer{pool: pool, reqs: make(chan appendReq), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// close stops the sequencer after the batch in flight.
func (s *sequencer) close() {
	close(s.stop)
	<-s.done
}

// append queues e and waits for its sequence number. If ctx ends first the
// entry may still be appended; the caller fails either way.
func (s *sequencer) append(ctx context.Context, e candour.AuditEntry) (int64, error) {
	leaf, err := e.MarshalLeaf()
	if err != nil {
		return 0, fmt.Errorf("encode audit entry: %w", err)
	}
	req := appendReq{entry: e, leaf: leaf, reply: make(chan appendResult, 1)}
	select {
	case s.reqs <- req:
	case <-s.stop:
		return 0, errClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.seq, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (s *sequencer) run() {
	defer close(s.done)
	for {
		var batch []appendReq
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-s.stop:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitAndReply(batch)
	}
}

// commitAndReply commits a batch and answers each of its requests. When the
// batch fails, it is split in halves and each half tried again, down to
// single entries, so that an entry the database refuses fails alone and
// never takes its batch neighbours with it.
func (s *sequencer) commitAndReply(batch []appendReq) {
	start := time.Now()
	first, err := s.commit(batch)
	if f := s.observe.Load(); f != nil {
		(*f)(len(batch), time.Since(start), err != nil)
	}
	if err != nil && len(batch) > 1 {
		s.commitAndReply(batch[:len(batch)/2])
		s.commitAndReply(batch[len(batch)/2:])
		return
	}
	for i, r := range batch {
		r.reply <- appendResult{seq: first + int64(i), err: err}
	}
}

// commit appends the batch at consecutive sequence numbers in one
// transaction and returns the first.
func (s *sequencer) commit(batch []appendReq) (int64, error) {
	ctx := context.Background()
	var first int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n := int64(len(batch))
		if err := tx.QueryRow(ctx, `UPDATE audit_head SET next = next + $1 WHERE id = 1 RETURNING next - $1`, n).Scan(&first); err != nil {
			return fmt.Errorf("next audit seq: %w", err)
		}
		var (
			seqs     = make([]int64, n)
			times    = make([]any, n)
			actors   = make([]string, n)
			actions  = make([]string, n)
			agencies = make([]string, n)
			outcomes = make([]string, n)
			leaves   = make([][]byte, n)
			recSeq   []int64
			recIDs   []string
		)
		for i, r := range batch {
			seq := first + int64(i)
			seqs[i], times[i], actors[i], actions[i], leaves[i] = seq, r.entry.Time, r.entry.Actor.Subject, string(r.entry.Action), r.leaf
			agencies[i], outcomes[i] = r.entry.Actor.Agency, r.entry.Outcome
			for _, id := range r.entry.Records {
				recSeq, recIDs = append(recSeq, seq), append(recIDs, id)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, time, actor, action, leaf, actor_agency, outcome)
			SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[])`,
			seqs, times, actors, actions, leaves, agencies, outcomes); err != nil {
			return fmt.Errorf("insert audit entries: %w", err)
		}
		if len(recIDs) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_records (record_id, seq, agency)
				SELECT r, s, coalesce(candour_record_agency(r), '') FROM unnest($1::text[], $2::bigint[]) AS t(r, s)`,
				recIDs, recSeq); err != nil {
				return fmt.Errorf("insert audit record links: %w", err)
			}
		}
		return nil
	})
	return first, err
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/candour-vault/candour"
)

// maxBatch is the most audit entries one group commit carries.
const maxBatch = 512

// sequencer appends audit entries, alone or with the submission they record,
// in batches: while one batch commits, the next gathers, so concurrent
// requests share one transaction, one move of the log's head and one commit
// instead of queueing on the audit_head lock one at a time.
//
// Guarantees: a request is answered only after its batch committed, or with
// the error that refused it; a submission the database refuses (a statement
// of its own fails) is answered with that refusal and the rest of its batch
// committed without it, before it is answered; a batch that fails in its
// shared part is split in halves and each tried again, down to single
// requests, so that no request fails for its neighbours.
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
	sub   *submission // nil for an entry alone
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

// append queues e, and the submission it records if sub is set, and waits
// for e's sequence number. If ctx ends first, both may still be committed;
// the caller fails either way.
func (s *sequencer) append(ctx context.Context, e candour.AuditEntry, sub *submission) (int64, error) {
	leaf, err := e.MarshalLeaf()
	if err != nil {
		return 0, fmt.Errorf("encode audit entry: %w", err)
	}
	req := appendReq{entry: e, leaf: leaf, sub: sub, reply: make(chan appendResult, 1)}
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

// commitAndReply commits a batch and answers each of its requests (see the
// sequencer's guarantees).
func (s *sequencer) commitAndReply(batch []appendReq) {
	start := time.Now()
	first, refused, err := s.commit(batch)
	if f := s.observe.Load(); f != nil {
		(*f)(len(batch), time.Since(start), err != nil && refused < 0) // a refusal is no failure of the log
	}
	switch {
	case err != nil && refused >= 0:
		rest := append(batch[:refused:refused], batch[refused+1:]...)
		if len(rest) > 0 {
			s.commitAndReply(rest)
		}
		batch[refused].reply <- appendResult{err: err}
		return
	case err != nil && len(batch) > 1:
		s.commitAndReply(batch[:len(batch)/2])
		s.commitAndReply(batch[len(batch)/2:])
		return
	}
	for i, r := range batch {
		r.reply <- appendResult{seq: first + int64(i), err: err}
	}
}

// commit writes the batch in one pipeline, committed at its end as one
// implicit transaction (one round trip): each submission's statements, then
// the entries at consecutive sequence numbers, then the submissions'
// idempotency keys. It returns the first entry's sequence number; on
// failure, the index of the request whose own statement the database
// refused (-1 when the failure is not one request's).
func (s *sequencer) commit(batch []appendReq) (first int64, refused int, err error) {
	ctx := context.Background()
	var (
		b     pgx.Batch
		steps []step
		owner []int // the request each step belongs to, -1 for the batch's own
	)
	queue := func(who int, st step, sql string, args ...any) {
		b.Queue(sql, args...)
		steps, owner = append(steps, st), append(owner, who)
	}
	for i, r := range batch {
		if r.sub != nil {
			r.sub.queueRecord(func(st step, sql string, args ...any) { queue(i, st, sql, args...) })
		}
	}
	queue(-1, step{what: "append audit entries", read: func(r pgx.BatchResults) error { return r.QueryRow().Scan(&first) }},
		batchStatement, entriesArgs(batch)...)
	for i, r := range batch {
		if r.sub != nil && r.sub.idem.Key != "" {
			r.sub.queueIdempotency(len(batch), i, func(st step, sql string, args ...any) { queue(i, st, sql, args...) })
		}
	}
	res := s.pool.SendBatch(ctx, &b)
	refused = -1
	for i, st := range steps {
		if st.read == nil {
			_, err = res.Exec()
		} else {
			err = st.read(res)
		}
		if err != nil {
			var pe *pgconn.PgError
			if owner[i] >= 0 && errors.As(err, &pe) {
				refused = owner[i]
			}
			err = refusal(st, err)
			break
		}
	}
	// Close reads to the pipeline's end, where PostgreSQL commits.
	if cerr := res.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("commit audit entries: %w", cerr)
	}
	return first, refused, err
}

// entriesArgs are batchStatement's arguments for the batch's entries.
func entriesArgs(batch []appendReq) []any {
	n := len(batch)
	var (
		times    = make([]any, n)
		actors   = make([]string, n)
		actions  = make([]string, n)
		agencies = make([]string, n)
		outcomes = make([]string, n)
		leaves   = make([][]byte, n)
		recAt    []int64 // the entry's place in the batch, from 1
		recIDs   []string
	)
	for i, r := range batch {
		times[i], actors[i], actions[i], leaves[i] = r.entry.Time, r.entry.Actor.Subject, string(r.entry.Action), r.leaf
		agencies[i], outcomes[i] = r.entry.Actor.Agency, r.entry.Outcome
		for _, id := range r.entry.Records {
			recAt, recIDs = append(recAt, int64(i+1)), append(recIDs, id)
		}
	}
	return []any{n, times, actors, actions, leaves, agencies, outcomes, recIDs, recAt}
}

// batchStatement appends a batch of entries: it moves the log's head on by
// their number ($1), writes each at its place after the old head (WITH
// ORDINALITY counts from 1), links the records named ($8, each at its
// entry's place $9), and returns the first entry's sequence number.
const batchStatement = `WITH h AS (UPDATE audit_head SET next = next + $1 WHERE id = 1 RETURNING next - $1 AS first),
	l AS (INSERT INTO audit_log (seq, time, actor, action, leaf, actor_agency, outcome)
		SELECT h.first + e.i - 1, e.time, e.actor, e.action, e.leaf, e.agency, e.outcome
		FROM h, unnest($2::timestamptz[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[])
			WITH ORDINALITY AS e(time, actor, action, leaf, agency, outcome, i)),
	r AS (INSERT INTO audit_records (record_id, seq, agency)
		SELECT x.id, h.first + x.i - 1, coalesce(candour_record_agency(x.id), '')
		FROM h, unnest($8::text[], $9::bigint[]) AS x(id, i))
	SELECT first FROM h`

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
)

// runAudit handles `candour audit init-key|export|verify`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"audit: give a subcommand: init-key, export or verify"}
	}
	switch args[0] {
	case "init-key":
		return runAuditInitKey(args[1:], stdout)
	case "export":
		return runAuditExport(ctx, args[1:], stdout)
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("audit: unknown subcommand %q; use init-key, export or verify", args[0])}
}

func runAuditInitKey(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit init-key", flag.ContinueOnError)
	path := fs.String("audit-key", "", "where to create the signing key (mode 0600)")
	origin := fs.String("origin", "", "the log's name, e.g. audit.candour.example.org/north")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *path == "" || *origin == "" {
		return usageError{"audit init-key: --audit-key and --origin are required"}
	}
	vkey, err := audit.CreateKey(*path, *origin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the audit signing key %s. Give auditors its verifier key:\n%s\n", *path, vkey)
	return nil
}

// exported is one line of an exported log: the entry's sequence number and
// the exact leaf bytes (base64 in JSON), as GET /v1/audit/entries gives them.
type exported struct {
	Seq  int64  `json:"seq"`
	Leaf []byte `json:"leaf"`
}

// exportBatch is how many entries are read from the database at a time.
const exportBatch = 5000

// eachLeaf calls fn with every stored entry in sequence order.
func eachLeaf(ctx context.Context, r candour.AuditReader, fn func(exported) error) error {
	after := int64(-1)
	for {
		leaves, err := r.AuditEntries(ctx, candour.AuditFilter{After: after, Limit: exportBatch})
		if err != nil {
			return err
		}
		for _, l := range leaves {
			if err := fn(exported{Seq: l.Seq, Leaf: l.Leaf}); err != nil {
				return err
			}
			after = l.Seq
		}
		if len(leaves) < exportBatch {
			return nil
		}
	}
}

func runAuditExport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	database := fs.String("database", "", "the database: a postgres:// URL or an SQLite file")
	operator := operatorFlag(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *database == "" {
		return usageError{"audit export: --database is required"}
	}
	db, closeDB, err := openStore(ctx, *database, false)
	if err != nil {
		return err
	}
	defer closeDB()
	// The export is logged before anything is written, like any read.
	if err := auditOperator(ctx, db, operatorEntry(*operator, actionAuditExport, "all", candour.OutcomeOK)); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	if err := eachLeaf(ctx, db, func(e exported) error { return enc.Encode(e) }); err != nil {
		return fmt.Errorf("the export stopped: %w", err)
	}
	return w.Flush()
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// progress prints a counter on a terminal, and nothing elsewhere.
type progress struct {
	w      io.Writer
	on     bool
	format string // with one %d
	every  int64
	last   int64
}

func newProgress(w io.Writer, format string, every int64) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return &progress{}
	}
	st, err := f.Stat()
	return &progress{w: w, on: err == nil && st.Mode()&os.ModeCharDevice != 0, format: format, every: every}
}

func (p *progress) at(n int64) {
	if p.on && n-p.last >= p.every {
		fmt.Fprintf(p.w, "\r"+p.format, n)
		p.last = n
	}
}

// of draws a bar of n out of total, with what is counted.
func (p *progress) of(n, total int64, what string) {
	if !p.on || total <= 0 {
		return
	}
	const width = 30
	filled := int(n * width / total)
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d of %d %s", strings.Repeat("#", filled), strings.Repeat("-", width-filled),
		n*100/total, n, total, what)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	database := fs.String("database", "", "verify the log in this database (a postgres:// URL or an SQLite file)")
	logFile := fs.String("log", "", "verify an exported log file (candour audit export) instead")
	vkey := fs.String("verifier-key", "", "the log's verifier key, as you received it (not from the database)")
	var checkpoints multiFlag
	fs.Var(&checkpoints, "checkpoint", "a signed checkpoint you saved earlier; may be repeated")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if (*database == "") == (*logFile == "") {
		return usageError{"audit verify: give exactly one of --database and --log"}
	}
	if *vkey == "" {
		return usageError{"audit verify: --verifier-key is required; use the key you were given, not one read from the log's own server"}
	}
	var (
		db      verifyStore // the database's own tree hashes and checkpoints, when verifying a database
		entries func(func(exported) error) error
	)
	if *database != "" {
		store, closeDB, err := openStore(ctx, *database, false)
		if err != nil {
			return err
		}
		defer closeDB()
		db = store
		entries = func(fn func(exported) error) error { return eachLeaf(ctx, store, fn) }
	} else {
		f, err := os.Open(*logFile)
		if err != nil {
			return fmt.Errorf("the log file cannot be read: %w", err)
		}
		defer f.Close()
		entries = func(fn func(exported) error) error { return eachLine(f, fn) }
	}

	// The checkpoints first, so that the roots at their sizes are kept as
	// the log streams past.
	var signed [][]byte
	names := []string{}
	for _, path := range checkpoints {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("the checkpoint %s cannot be read: %w", path, err)
		}
		signed, names = append(signed, b), append(names, path)
	}
	if db != nil {
		all, err := db.AllCheckpoints(ctx)
		if err != nil {
			return fmt.Errorf("the database's checkpoints cannot be read: %w", err)
		}
		for _, c := range all {
			signed = append(signed, c)
			names = append(names, fmt.Sprintf("the database's checkpoint %d", len(names)-len(checkpoints)+1))
		}
	}
	var r audit.Replay
	parsed := make([]audit.Checkpoint, len(signed))
	for i, s := range signed {
		c, err := audit.ParseCheckpoint(s, *vkey)
		if err != nil {
			return fmt.Errorf("%s: %v", names[i], err)
		}
		parsed[i] = c
		r.Want(c.Size)
	}

	bar := newProgress(stderr, "verifying: %d entries", 10000)
	err := replayAll(entries, &r, bar)
	bar.done()
	if err != nil {
		if db != nil {
			return firstChangedEntry(ctx, db, r.Size(), err)
		}
		return err
	}
	for i, c := range parsed {
		if c.Size > r.Size() {
			return fmt.Errorf("%s covers %d entries but the log has only %d: entries from %d on have been removed (the log was truncated or rolled back)",
				names[i], c.Size, r.Size(), r.Size())
		}
		root, err := r.Root(c.Size)
		if err != nil {
			return err
		}
		if root != c.Hash {
			if db != nil {
				if err := firstChangedEntry(ctx, db, c.Size, nil); err != nil {
					return fmt.Errorf("%s does not match the log: %w", names[i], err)
				}
			}
			return fmt.Errorf("%s does not match the log: an entry before %d has been changed, removed or reordered since it was signed", names[i], c.Size)
		}
	}
	root, _ := r.Root(r.Size())
	if len(signed) == 0 {
		return exitStatus{3, fmt.Sprintf("Checked %d entries for internal consistency only: no checkpoint was given or stored, "+
			"so a log rewritten as a whole cannot be told from the original. Verify against a checkpoint you saved earlier "+
			"(--checkpoint FILE) to know it has not been rewritten. Root %x.", r.Size(), root)}
	}
	fmt.Fprintf(stdout, "Verified %d entries and %d checkpoint(s): the log is consistent with every checkpoint. Root %x.\n",
		r.Size(), len(signed), root)
	return nil
}

// verifyStore is what verifying a database reads besides its entries.
type verifyStore interface {
	audit.Store
	candour.AuditReader
}

// verifyBatch is how many entries are checked at a time.
const verifyBatch = 4096

// replayAll streams every entry into r: one goroutine reads batches while
// the batch before is checked on every core and folded into the tree.
// Memory stays at a few batches whatever the size of the log.
func replayAll(entries func(func(exported) error) error, r *audit.Replay, bar *progress) error {
	batches := make(chan []exported, 2)
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]exported, 0, verifyBatch)
		errStopped := errors.New("stopped")
		err := entries(func(e exported) error {
			batch = append(batch, e)
			if len(batch) == verifyBatch {
				select {
				case batches <- batch:
				case <-stop:
					return errStopped
				}
				batch = make([]exported, 0, verifyBatch)
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-stop:
			}
		}
		if errors.Is(err, errStopped) {
			err = nil
		}
		readErr <- err
	}()
	defer func() {
		close(stop)
		for range batches { // let the reader finish
		}
	}()
	var (
		leaves [][]byte
		hashes []tlog.Hash
		err    error
	)
	for batch := range batches {
		leaves = leaves[:0]
		for i, e := range batch {
			if want := r.Size() + int64(i); e.Seq != want {
				if e.Seq > want {
					return fmt.Errorf("entry %d is missing: the next entry in the log is %d", want, e.Seq)
				}
				return fmt.Errorf("entry %d appears out of order after entry %d", e.Seq, want-1)
			}
			leaves = append(leaves, e.Leaf)
		}
		if hashes, err = audit.CheckLeaves(r.Size(), leaves, hashes); err != nil {
			// the entries before the bad one still count
			for _, h := range hashes {
				if h == (tlog.Hash{}) {
					break
				}
				r.AddHash(h)
			}
			return err
		}
		for _, h := range hashes {
			r.AddHash(h)
		}
		bar.at(r.Size())
	}
	return <-readErr
}

// eachLine calls fn with every entry of an exported log file. Lines written
// by candour audit export are read without a JSON decoder; any other valid
// line is decoded.
func eachLine(f io.Reader, fn func(exported) error) error {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	n := int64(0)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, ok := quickLine(line)
		if !ok {
			if err := json.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("the log file is damaged after entry %d: %v", n-1, err)
			}
		}
		if err := fn(e); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("the log file is damaged after entry %d: %v", n-1, err)
	}
	return nil
}

// quickLine reads a line of exactly the form audit export writes:
// {"seq":N,"leaf":"BASE64"}.
func quickLine(line []byte) (exported, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"seq":`))
	if !ok {
		return exported{}, false
	}
	digits := 0
	for digits < len(rest) && digits < 19 && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if digits == 0 || (digits > 1 && rest[0] == '0') {
		return exported{}, false
	}
	seq, err := strconv.ParseInt(string(rest[:digits]), 10, 64)
	if err != nil {
		return exported{}, false
	}
	rest, ok = bytes.CutPrefix(rest[digits:], []byte(`,"leaf":"`))
	if !ok {
		return exported{}, false
	}
	body, ok := bytes.CutSuffix(bytes.TrimRight(rest, " \t\r"), []byte(`"}`))
	if !ok {
		return exported{}, false
	}
	leaf := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(leaf, body)
	if err != nil {
		return exported{}, false
	}
	return exported{Seq: seq, Leaf: leaf[:n]}, true
}

// firstChangedEntry names the first of the first n entries whose leaf no
// longer matches the hash the log stored when it integrated it (before any
// tampering since), reading the entries again. When none has, it returns
// cause.
func firstChangedEntry(ctx context.Context, db verifyStore, n int64, cause error) error {
	size, err := db.TreeSize(ctx)
	if err != nil {
		return cause
	}
	n = min(n, size)
	var found error
	errDone := errors.New("done")
	eachLeaf(ctx, db, func(e exported) error {
		if e.Seq >= n {
			return errDone
		}
		stored, err := db.ReadTreeHashes(ctx, []int64{tlog.StoredHashIndex(0, e.Seq)})
		if err != nil {
			return errDone
		}
		if tlog.RecordHash(e.Leaf) != stored[0] {
			found = fmt.Errorf("entry %d has been changed since it was added to the log", e.Seq)
			return errDone
		}
		return nil
	})
	if found != nil {
		return found
	}
	return cause
}

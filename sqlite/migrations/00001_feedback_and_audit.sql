-- +goose Up
-- Feedback: analytical dimensions in clear; content only sealed; the subject
-- reference only as a keyed hash.
CREATE TABLE feedback (
    id                     TEXT PRIMARY KEY,
    agency                 TEXT NOT NULL,
    submitted_by           TEXT NOT NULL,
    submitted_at           TEXT NOT NULL,
    service                TEXT NOT NULL,
    touchpoint             TEXT NOT NULL DEFAULT '',
    channel                TEXT NOT NULL DEFAULT '',
    period                 TEXT NOT NULL,
    satisfaction           INTEGER,
    effort                 INTEGER,
    felt_safe              TEXT NOT NULL DEFAULT '',
    felt_believed          TEXT NOT NULL DEFAULT '',
    would_recommend        INTEGER,
    sensitivity            TEXT NOT NULL,
    consent_purposes       TEXT NOT NULL,
    consent_share_with     TEXT NOT NULL,
    consent_method         TEXT NOT NULL,
    consent_notice_version TEXT NOT NULL,
    consent_expires_at     TEXT,
    consent_captured_at    TEXT NOT NULL,
    consent_captured_by    TEXT NOT NULL,
    consent_withdrawn_at   TEXT,
    subject_hash           BLOB,
    sealed                 BLOB NOT NULL
) STRICT;
CREATE INDEX feedback_agency_period ON feedback (agency, period);
CREATE INDEX feedback_subject_hash ON feedback (subject_hash) WHERE subject_hash IS NOT NULL;

-- The audit log: seq is the 0-based Merkle leaf index, leaf the exact bytes
-- hashed. The other columns are copies of fields inside leaf, for filtering.
CREATE TABLE audit_log (
    seq    INTEGER PRIMARY KEY,
    time   TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    leaf   BLOB NOT NULL
) STRICT;
CREATE TABLE audit_records (
    record_id TEXT NOT NULL,
    seq       INTEGER NOT NULL REFERENCES audit_log (seq),
    PRIMARY KEY (record_id, seq)
) STRICT;
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_records;
DROP TABLE audit_log;
DROP TABLE feedback;

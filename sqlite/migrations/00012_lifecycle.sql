-- +goose Up
-- The data lifecycle (see the PostgreSQL migration of the same name): own
-- keys for corrected records, legal holds, the list of sweeps, and the lease
-- that lets one sweeper run at a time.
ALTER TABLE feedback ADD COLUMN own_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feedback ADD COLUMN corrected_at TEXT;

CREATE TABLE legal_holds (
    id           TEXT PRIMARY KEY,
    agency       TEXT NOT NULL,
    record_id    TEXT,
    subject_hash BLOB,
    reason       TEXT NOT NULL,
    review_by    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    released_at  TEXT,
    released_by  TEXT,
    CHECK ((record_id IS NULL) <> (subject_hash IS NULL))
) STRICT;
CREATE INDEX legal_holds_record ON legal_holds (record_id) WHERE released_at IS NULL AND record_id IS NOT NULL;
CREATE INDEX legal_holds_subject ON legal_holds (agency, subject_hash) WHERE released_at IS NULL AND subject_hash IS NOT NULL;

CREATE TABLE retention_sweeps (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    revision    TEXT NOT NULL,
    examined    INTEGER NOT NULL,
    destroyed   INTEGER NOT NULL,
    held        INTEGER NOT NULL,
    by_rule     TEXT NOT NULL,
    audit_seq   INTEGER NOT NULL
) STRICT;

CREATE TABLE retention_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
INSERT INTO retention_lease VALUES (1, '', '0001-01-01T00:00:00.000000Z');

-- +goose Down
DROP TABLE retention_lease;
DROP TABLE retention_sweeps;
DROP TABLE legal_holds;
ALTER TABLE feedback DROP COLUMN corrected_at;
ALTER TABLE feedback DROP COLUMN own_key;

-- +goose Up
-- The citizen channel: invitations by the SHA-256 of their link's token,
-- used once; the receipt code's hash kept with the record it names.
CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    agency       TEXT NOT NULL,
    service      TEXT NOT NULL,
    touchpoint   TEXT NOT NULL,
    channel      TEXT NOT NULL,
    period       TEXT NOT NULL,
    sensitivity  TEXT NOT NULL,
    subject_hash BLOB,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX invitations_agency ON invitations (agency, created_at DESC);
CREATE INDEX invitations_subject ON invitations (agency, subject_hash) WHERE subject_hash IS NOT NULL;
ALTER TABLE feedback ADD COLUMN receipt_hash BLOB;
CREATE UNIQUE INDEX feedback_receipt ON feedback (receipt_hash) WHERE receipt_hash IS NOT NULL;

-- +goose Down
DROP INDEX feedback_receipt;
ALTER TABLE feedback DROP COLUMN receipt_hash;
DROP TABLE invitations;

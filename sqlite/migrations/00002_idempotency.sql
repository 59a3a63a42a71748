-- +goose Up
-- Idempotency keys of POST /v1/feedback, scoped to the principal that sent
-- them: a retry returns the first receipt and stores nothing new.
CREATE TABLE idempotency (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    record_id    TEXT NOT NULL,
    audit_seq    INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (issuer, subject, key)
) STRICT;

-- +goose Down
DROP TABLE idempotency;

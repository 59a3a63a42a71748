-- +goose Up
-- Data keys, only ever wrapped by the key provider's key-encryption key:
-- one per subject and agency (s:AGENCY:HASH), one per record given without a
-- subject reference (r:ID). Erasure deletes them (crypto-shredding).
CREATE TABLE data_keys (
    id         text PRIMARY KEY,
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, DELETE ON data_keys TO candour_app;
-- Withdrawal destroys a record's content; erasure deletes a subject's records.
-- Row-level security still confines both to the agencies a transaction names.
GRANT UPDATE (consent_withdrawn_at, sealed), DELETE ON feedback TO candour_app;

-- +goose Down
REVOKE UPDATE (consent_withdrawn_at, sealed), DELETE ON feedback FROM candour_app;
DROP TABLE data_keys;

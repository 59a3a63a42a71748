-- +goose Up
-- Data keys, only ever wrapped by the key provider's key-encryption key:
-- one per subject and agency (s:AGENCY:HASH), one per record given without a
-- subject reference (r:ID). Erasure deletes them (crypto-shredding).
CREATE TABLE data_keys (
    id         TEXT PRIMARY KEY,
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE data_keys;

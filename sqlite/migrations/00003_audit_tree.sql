-- +goose Up
-- The Merkle tree over audit_log, in golang.org/x/mod/sumdb/tlog's layout:
-- audit_hashes holds every stored hash by its tlog index; audit_tree says how
-- many leaves are integrated; audit_checkpoints holds the signed checkpoints.
CREATE TABLE audit_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE TABLE audit_tree (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL CHECK (size >= 0)
) STRICT;
INSERT INTO audit_tree (id, size) VALUES (1, 0);
CREATE TABLE audit_checkpoints (
    size       INTEGER PRIMARY KEY,
    signed     BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes
BEGIN SELECT RAISE(ABORT, 'audit_hashes is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes
BEGIN SELECT RAISE(ABORT, 'audit_hashes is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_tree_forward BEFORE UPDATE ON audit_tree
WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'audit_tree only grows'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree;
DROP TABLE audit_hashes;

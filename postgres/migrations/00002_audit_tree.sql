-- +goose Up
-- The Merkle tree over audit_log, in golang.org/x/mod/sumdb/tlog's layout:
-- audit_hashes holds every stored hash by its tlog index; audit_tree says how
-- many leaves are integrated; audit_checkpoints holds the signed checkpoints.
CREATE TABLE audit_hashes (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE audit_tree (
    id   smallint PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL CHECK (size >= 0)
);
INSERT INTO audit_tree (id, size) VALUES (1, 0);
CREATE TABLE audit_checkpoints (
    size       bigint PRIMARY KEY CHECK (size >= 0),
    signed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION candour_tree_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size < OLD.size THEN
        RAISE EXCEPTION 'audit_tree only grows' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_hashes_append_only BEFORE UPDATE OR DELETE ON audit_hashes
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_hashes_no_truncate BEFORE TRUNCATE ON audit_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_tree_grows BEFORE UPDATE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION candour_tree_grows();
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();

GRANT SELECT, INSERT ON audit_hashes, audit_checkpoints TO candour_app;
GRANT SELECT, UPDATE ON audit_tree TO candour_app;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree;
DROP TABLE audit_hashes;
DROP FUNCTION candour_tree_grows();

-- +goose Up
-- Which agencies an entry is about, and its outcome (see the PostgreSQL migration of the same
-- name): the actor's agency, and each named record's owning agency.
ALTER TABLE audit_log ADD COLUMN actor_agency TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_records ADD COLUMN agency TEXT NOT NULL DEFAULT '';
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_records_no_update;
UPDATE audit_log SET actor_agency = coalesce(json_extract(CAST(leaf AS TEXT), '$.actor.agency'), ''),
    outcome = coalesce(json_extract(CAST(leaf AS TEXT), '$.outcome'), '');
UPDATE audit_records SET agency = coalesce((SELECT f.agency FROM feedback f WHERE f.id = audit_records.record_id), '');
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
-- +goose StatementEnd
CREATE INDEX audit_log_actor_agency ON audit_log (actor_agency, seq);
CREATE INDEX audit_records_agency ON audit_records (agency, seq);

-- +goose Down
DROP INDEX audit_records_agency;
DROP INDEX audit_log_actor_agency;
ALTER TABLE audit_records DROP COLUMN agency;
ALTER TABLE audit_log DROP COLUMN outcome;
ALTER TABLE audit_log DROP COLUMN actor_agency;

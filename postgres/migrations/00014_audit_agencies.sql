-- +goose Up
-- Which agencies an entry is about, and its outcome (a filter of the
-- auditors' console), so that an agency's auditor reads the
-- entries of its own staff and about its own records (the policy decides;
-- docs/policy.md): the actor's agency, and the owning agency of each record
-- an entry names ('' when the record was already gone). Neither is part of
-- the leaf, so the Merkle tree is untouched. Existing rows are filled in
-- once, with the append-only triggers held off for this migration only.
ALTER TABLE audit_log ADD COLUMN actor_agency text NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN outcome text NOT NULL DEFAULT '';
ALTER TABLE audit_records ADD COLUMN agency text NOT NULL DEFAULT '';
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;
UPDATE audit_log SET actor_agency = coalesce(convert_from(leaf, 'UTF8')::jsonb -> 'actor' ->> 'agency', ''),
    outcome = coalesce(convert_from(leaf, 'UTF8')::jsonb ->> 'outcome', '');
UPDATE audit_records r SET agency = f.agency FROM feedback f WHERE f.id = r.record_id;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_records ENABLE TRIGGER audit_records_append_only;
CREATE INDEX audit_log_actor_agency ON audit_log (actor_agency, seq);
CREATE INDEX audit_records_agency ON audit_records (agency, seq);

-- +goose Down
DROP INDEX audit_records_agency;
DROP INDEX audit_log_actor_agency;
ALTER TABLE audit_records DROP COLUMN agency;
ALTER TABLE audit_log DROP COLUMN outcome;
ALTER TABLE audit_log DROP COLUMN actor_agency;

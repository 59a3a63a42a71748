-- +goose Up
-- The data lifecycle (docs/operations.md "Retention, correction and subject
-- access"): a corrected record is sealed under a key of its own (own_key),
-- so that the earlier content's key can be destroyed; legal holds keep
-- records from the retention sweeper; the sweeps are listed for the data
-- protection officer; and one lease makes sure one sweeper runs at a time,
-- whatever the number of replicas.
ALTER TABLE feedback ADD COLUMN own_key boolean NOT NULL DEFAULT false;
ALTER TABLE feedback ADD COLUMN corrected_at timestamptz;
GRANT UPDATE (touchpoint, channel, satisfaction, effort, felt_safe, felt_believed, would_recommend,
    sensitivity, consent_purposes, consent_share_with, has_comment, own_key, corrected_at) ON feedback TO candour_app;

CREATE TABLE legal_holds (
    id           text PRIMARY KEY,
    agency       text NOT NULL,
    record_id    text,
    subject_hash bytea,
    reason       text NOT NULL,
    review_by    timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    released_at  timestamptz,
    released_by  text,
    CHECK ((record_id IS NULL) <> (subject_hash IS NULL))
);
CREATE INDEX legal_holds_record ON legal_holds (record_id) WHERE released_at IS NULL AND record_id IS NOT NULL;
CREATE INDEX legal_holds_subject ON legal_holds (agency, subject_hash) WHERE released_at IS NULL AND subject_hash IS NOT NULL;
ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY;
CREATE POLICY legal_holds_by_agency ON legal_holds
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]))
    WITH CHECK (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
GRANT SELECT, INSERT ON legal_holds TO candour_app;
GRANT UPDATE (released_at, released_by) ON legal_holds TO candour_app;

CREATE TABLE retention_sweeps (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    revision    text NOT NULL,
    examined    bigint NOT NULL,
    destroyed   bigint NOT NULL,
    held        bigint NOT NULL,
    by_rule     jsonb NOT NULL,
    audit_seq   bigint NOT NULL
);
GRANT SELECT, INSERT ON retention_sweeps TO candour_app;
GRANT USAGE ON SEQUENCE retention_sweeps_id_seq TO candour_app;

CREATE TABLE retention_lease (
    id         integer PRIMARY KEY CHECK (id = 1),
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
INSERT INTO retention_lease VALUES (1, '', '-infinity');
GRANT SELECT, UPDATE ON retention_lease TO candour_app;

-- +goose Down
DROP TABLE retention_lease;
DROP TABLE retention_sweeps;
DROP TABLE legal_holds;
ALTER TABLE feedback DROP COLUMN corrected_at;
ALTER TABLE feedback DROP COLUMN own_key;

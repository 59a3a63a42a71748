-- +goose Up
-- The data lifecycle (docs/operations.md "Retention, correction and subject
-- access"): a corrected record is sealed under a key of its own (own_key),
-- so that the earlier content's key can be destroyed; legal holds keep
-- records from the retention sweeper; the sweeps are listed for the data
-- protection officer; and one lease makes sure one sweeper runs at a time,
-- whatever the number of replicas.
ALTER TABLE feedback ADD COLUMN own_key boolean NOT NULL DEFAULT false;
ALTER TABLE feedback ADD COLUMN corrected_at timestamptz;

-- +goose StatementBegin
-- Corrects a record: the one way the service may rewrite analytical values
-- (it has no UPDATE on those columns), only on a record whose consent
-- stands, and never without marking it corrected and sealed under its own
-- key. It runs as the owner (SECURITY DEFINER), like candour_clear_withdrawn.
CREATE FUNCTION candour_correct(p_id text, p_touchpoint text, p_channel text, p_satisfaction smallint,
    p_effort smallint, p_felt_safe text, p_felt_believed text, p_would_recommend smallint, p_sensitivity text,
    p_purposes text[], p_share_with text[], p_sealed bytea, p_has_comment boolean, p_age_band text, p_sex text,
    p_ethnic_group text, p_disability text, p_corrected_at timestamptz) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH c AS (
        UPDATE feedback SET touchpoint = p_touchpoint, channel = p_channel, satisfaction = p_satisfaction,
            effort = p_effort, felt_safe = p_felt_safe, felt_believed = p_felt_believed,
            would_recommend = p_would_recommend, sensitivity = p_sensitivity, consent_purposes = p_purposes,
            consent_share_with = p_share_with, sealed = p_sealed, has_comment = p_has_comment, age_band = p_age_band,
            sex = p_sex, ethnic_group = p_ethnic_group, disability = p_disability, own_key = true,
            corrected_at = p_corrected_at
        WHERE id = p_id AND consent_withdrawn_at IS NULL
            AND agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[])
        RETURNING 1)
    SELECT count(*) = 1 FROM c;
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_correct(text, text, text, smallint, smallint, text, text, smallint, text, text[], text[],
    bytea, boolean, text, text, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_correct(text, text, text, smallint, smallint, text, text, smallint, text, text[], text[],
    bytea, boolean, text, text, text, text, timestamptz) TO candour_app;

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
DROP FUNCTION candour_correct(text, text, text, smallint, smallint, text, text, smallint, text, text[], text[],
    bytea, boolean, text, text, text, text, timestamptz);
DROP TABLE retention_lease;
DROP TABLE retention_sweeps;
DROP TABLE legal_holds;
ALTER TABLE feedback DROP COLUMN corrected_at;
ALTER TABLE feedback DROP COLUMN own_key;

-- +goose Up
-- Insight is served from releases (see the SQLite migration of the same
-- name): a month closed for the embargo is copied once into
-- insight_release_rows and never changes after, an erasure aside. Summaries
-- read the releases, so the per-row rollup of migration 9 leaves the
-- submission path.
DROP TRIGGER feedback_rollup_truncate ON feedback;
DROP FUNCTION candour_rollup_truncate();
DROP TRIGGER feedback_rollup ON feedback;
DROP FUNCTION candour_rollup();
DROP FUNCTION candour_rollup_add(feedback, integer);
DROP FUNCTION candour_rollup_rebuild();
DROP TABLE feedback_rollup;

-- Record keys are 32 bits wide, so that a cell's key cannot be guessed by
-- trying every value.
ALTER TABLE feedback DROP CONSTRAINT feedback_record_key_check;
ALTER TABLE feedback ALTER COLUMN record_key TYPE bigint;
ALTER TABLE feedback ADD CONSTRAINT feedback_record_key_check CHECK (record_key BETWEEN 0 AND 4294967295);
ALTER TABLE feedback ADD COLUMN has_comment boolean NOT NULL DEFAULT true;
ALTER TABLE feedback ADD COLUMN released boolean NOT NULL DEFAULT false;
-- The months not yet released, looked for on every insight request.
CREATE INDEX feedback_unreleased ON feedback (period) WHERE NOT released;

-- A withdrawn record keeps only what the audit log and the receipt need.
UPDATE feedback SET service = '', touchpoint = '', channel = '', period = '',
    satisfaction = NULL, effort = NULL, felt_safe = '', felt_believed = '', would_recommend = NULL,
    record_key = 0, has_comment = false, age_band = '', sex = '', ethnic_group = '', disability = ''
    WHERE consent_withdrawn_at IS NOT NULL;
GRANT UPDATE (released) ON feedback TO candour_app;

-- +goose StatementBegin
-- Clears every analytical value of a record whose consent is withdrawn. It
-- runs as the owner (SECURITY DEFINER) so that the service, which may not
-- rewrite analytical columns, can only ever clear them, and only on a
-- withdrawn record.
CREATE FUNCTION candour_clear_withdrawn(p_id text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    UPDATE feedback SET service = '', touchpoint = '', channel = '', period = '',
        satisfaction = NULL, effort = NULL, felt_safe = '', felt_believed = '', would_recommend = NULL,
        record_key = 0, has_comment = false, age_band = '', sex = '', ethnic_group = '', disability = ''
    WHERE id = p_id AND consent_withdrawn_at IS NOT NULL;
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_clear_withdrawn(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_clear_withdrawn(text) TO candour_app;

CREATE TABLE insight_releases (
    period      text PRIMARY KEY,
    released_at timestamptz NOT NULL,
    records     integer NOT NULL
);

CREATE TABLE insight_release_rows (
    period             text NOT NULL,
    agency             text NOT NULL,
    service            text NOT NULL,
    touchpoint         text NOT NULL,
    channel            text NOT NULL,
    sensitivity        text NOT NULL,
    consent_purposes   text[] NOT NULL,
    consent_share_with text[] NOT NULL,
    satisfaction       smallint,
    effort             smallint,
    felt_safe          text NOT NULL,
    felt_believed      text NOT NULL,
    would_recommend    smallint,
    age_band           text NOT NULL,
    sex                text NOT NULL,
    ethnic_group       text NOT NULL,
    disability         text NOT NULL,
    record_key         bigint NOT NULL,
    submitter          text NOT NULL,
    subject_hash       bytea
);
CREATE INDEX insight_release_rows_agency_period ON insight_release_rows (agency, period);
CREATE INDEX insight_release_rows_subject ON insight_release_rows (agency, subject_hash) WHERE subject_hash IS NOT NULL;

-- The release rows summed by everything a summary groups or selects on and
-- by who recorded them: summaries read these, one row per stratum.
CREATE TABLE insight_release_strata (
    period             text NOT NULL,
    agency             text NOT NULL,
    service            text NOT NULL,
    touchpoint         text NOT NULL,
    channel            text NOT NULL,
    sensitivity        text NOT NULL,
    consent_purposes   text[] NOT NULL,
    consent_share_with text[] NOT NULL,
    age_band           text NOT NULL,
    sex                text NOT NULL,
    ethnic_group       text NOT NULL,
    disability         text NOT NULL,
    submitter          text NOT NULL,
    n bigint NOT NULL, key_sum bigint NOT NULL, subjects bigint NOT NULL,
    sat_sum bigint NOT NULL, sat_n bigint NOT NULL, effort_sum bigint NOT NULL, effort_n bigint NOT NULL,
    safe_yes bigint NOT NULL, safe_n bigint NOT NULL, believed_yes bigint NOT NULL, believed_n bigint NOT NULL,
    promoters bigint NOT NULL, detractors bigint NOT NULL, recommend_n bigint NOT NULL
);
CREATE INDEX insight_release_strata_agency_period ON insight_release_strata (agency, period);

CREATE TABLE insight_release_groups (
    agency       text NOT NULL,
    service      text NOT NULL,
    period       text NOT NULL,
    members      integer NOT NULL,
    subjects     integer NOT NULL,           -- distinct subjects among members
    lost         integer NOT NULL DEFAULT 0, -- members withdrawn or erased since
    first_expiry timestamptz,                -- the earliest consent expiry among members
    PRIMARY KEY (agency, service, period)
);

-- What deciding a comment group needs, counted at release so that a request
-- reads one row per stratum, however many records a hidden group holds.
CREATE TABLE insight_comment_strata (
    agency             text NOT NULL,
    service            text NOT NULL,
    period             text NOT NULL,
    sensitivity        text NOT NULL,
    consent_purposes   text[] NOT NULL,
    consent_share_with text[] NOT NULL,
    submitter          text NOT NULL,
    members            integer NOT NULL,
    subjects           integer NOT NULL
);
CREATE INDEX insight_comment_strata_period ON insight_comment_strata (period, agency);

ALTER TABLE insight_release_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY insight_release_rows_by_agency ON insight_release_rows
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
ALTER TABLE insight_release_strata ENABLE ROW LEVEL SECURITY;
CREATE POLICY insight_release_strata_by_agency ON insight_release_strata
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
ALTER TABLE insight_comment_strata ENABLE ROW LEVEL SECURITY;
CREATE POLICY insight_comment_strata_by_agency ON insight_comment_strata
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
ALTER TABLE insight_release_groups ENABLE ROW LEVEL SECURITY;
CREATE POLICY insight_release_groups_by_agency ON insight_release_groups
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
GRANT SELECT, INSERT ON insight_releases, insight_release_rows, insight_release_groups, insight_comment_strata TO candour_app;
GRANT UPDATE (lost) ON insight_release_groups TO candour_app;
GRANT SELECT, INSERT, DELETE ON insight_release_strata TO candour_app;
GRANT DELETE ON insight_release_rows TO candour_app;

-- +goose Down
-- The rollup of migration 9 cannot be rebuilt from releases: this migration
-- is one-way. Restore a backup taken before it to go back.
-- +goose StatementBegin
DO $$ BEGIN RAISE EXCEPTION 'migration 10 (insight releases) cannot be undone; restore a backup taken before it'; END $$;
-- +goose StatementEnd

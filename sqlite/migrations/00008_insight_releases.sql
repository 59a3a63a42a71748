-- +goose Up
-- Insight is served from releases: when a month has been closed for the
-- embargo, its records' analytical values are copied once into
-- insight_release_rows (no record id, no content) and never change after
-- (an erasure aside), so that a record arriving or withdrawn later cannot be
-- differenced out of published figures. insight_release_groups keeps how
-- many records of each agency, service and month were released, so that a
-- comment group that has lost a member since is withheld rather than shown
-- one comment short.
ALTER TABLE feedback ADD COLUMN has_comment INTEGER NOT NULL DEFAULT 1;
ALTER TABLE feedback ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
-- The months not yet released, looked for on every insight request.
CREATE INDEX feedback_unreleased ON feedback (period) WHERE released = 0;

-- A withdrawn record keeps only what the audit log and the receipt need.
UPDATE feedback SET service = '', touchpoint = '', channel = '', period = '',
    satisfaction = NULL, effort = NULL, felt_safe = '', felt_believed = '', would_recommend = NULL,
    record_key = 0, has_comment = 0, age_band = '', sex = '', ethnic_group = '', disability = ''
    WHERE consent_withdrawn_at IS NOT NULL;

CREATE TABLE insight_releases (
    period      TEXT PRIMARY KEY,
    released_at TEXT NOT NULL,
    records     INTEGER NOT NULL
) STRICT;

CREATE TABLE insight_release_rows (
    period             TEXT NOT NULL,
    agency             TEXT NOT NULL,
    service            TEXT NOT NULL,
    touchpoint         TEXT NOT NULL,
    channel            TEXT NOT NULL,
    sensitivity        TEXT NOT NULL,
    consent_purposes   TEXT NOT NULL,
    consent_share_with TEXT NOT NULL,
    satisfaction       INTEGER,
    effort             INTEGER,
    felt_safe          TEXT NOT NULL,
    felt_believed      TEXT NOT NULL,
    would_recommend    INTEGER,
    age_band           TEXT NOT NULL,
    sex                TEXT NOT NULL,
    ethnic_group       TEXT NOT NULL,
    disability         TEXT NOT NULL,
    record_key         INTEGER NOT NULL,
    submitter          TEXT NOT NULL,
    subject_hash       BLOB
) STRICT;
CREATE INDEX insight_release_rows_agency_period ON insight_release_rows (agency, period);
CREATE INDEX insight_release_rows_subject ON insight_release_rows (agency, subject_hash) WHERE subject_hash IS NOT NULL;

-- The release rows summed by everything a summary groups or selects on and
-- by who recorded them: summaries read these, one row per stratum.
CREATE TABLE insight_release_strata (
    period             TEXT NOT NULL,
    agency             TEXT NOT NULL,
    service            TEXT NOT NULL,
    touchpoint         TEXT NOT NULL,
    channel            TEXT NOT NULL,
    sensitivity        TEXT NOT NULL,
    consent_purposes   TEXT NOT NULL,
    consent_share_with TEXT NOT NULL,
    age_band           TEXT NOT NULL,
    sex                TEXT NOT NULL,
    ethnic_group       TEXT NOT NULL,
    disability         TEXT NOT NULL,
    submitter          TEXT NOT NULL,
    n INTEGER NOT NULL, key_sum INTEGER NOT NULL, subjects INTEGER NOT NULL,
    sat_sum INTEGER NOT NULL, sat_n INTEGER NOT NULL, effort_sum INTEGER NOT NULL, effort_n INTEGER NOT NULL,
    safe_yes INTEGER NOT NULL, safe_n INTEGER NOT NULL, believed_yes INTEGER NOT NULL, believed_n INTEGER NOT NULL,
    promoters INTEGER NOT NULL, detractors INTEGER NOT NULL, recommend_n INTEGER NOT NULL
) STRICT;
CREATE INDEX insight_release_strata_agency_period ON insight_release_strata (agency, period);

CREATE TABLE insight_release_groups (
    agency      TEXT NOT NULL,
    service     TEXT NOT NULL,
    period      TEXT NOT NULL,
    members     INTEGER NOT NULL,
    subjects    INTEGER NOT NULL,           -- distinct subjects among members
    lost        INTEGER NOT NULL DEFAULT 0, -- members withdrawn or erased since
    first_expiry TEXT,                      -- the earliest consent expiry among members
    PRIMARY KEY (agency, service, period)
) STRICT;

-- What deciding a comment group needs, counted at release so that a request
-- reads one row per stratum, however many records a hidden group holds.
CREATE TABLE insight_comment_strata (
    agency             TEXT NOT NULL,
    service            TEXT NOT NULL,
    period             TEXT NOT NULL,
    sensitivity        TEXT NOT NULL,
    consent_purposes   TEXT NOT NULL,
    consent_share_with TEXT NOT NULL,
    submitter          TEXT NOT NULL,
    members            INTEGER NOT NULL,
    subjects           INTEGER NOT NULL
) STRICT;
CREATE INDEX insight_comment_strata_period ON insight_comment_strata (period, agency);

-- +goose Down
DROP TABLE insight_release_strata;
DROP TABLE insight_comment_strata;
DROP TABLE insight_release_groups;
DROP TABLE insight_release_rows;
DROP TABLE insight_releases;
DROP INDEX feedback_unreleased;
ALTER TABLE feedback DROP COLUMN released;
ALTER TABLE feedback DROP COLUMN has_comment;

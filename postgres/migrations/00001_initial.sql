-- +goose Up
-- Run as the migration role (candour_owner), which owns the schema. The
-- service connects as candour_app, which gets only the grants at the end.
-- deploy/postgres/roles.sql creates both roles.

-- Feedback: analytical dimensions in clear; content only sealed; the subject
-- reference only as a keyed hash.
CREATE TABLE feedback (
    id                     text PRIMARY KEY,
    agency                 text NOT NULL,
    submitted_by           text NOT NULL,
    submitted_at           timestamptz NOT NULL,
    service                text NOT NULL,
    touchpoint             text NOT NULL DEFAULT '',
    channel                text NOT NULL DEFAULT '',
    period                 text NOT NULL,
    satisfaction           smallint,
    effort                 smallint,
    felt_safe              text NOT NULL DEFAULT '',
    felt_believed          text NOT NULL DEFAULT '',
    would_recommend        smallint,
    sensitivity            text NOT NULL,
    consent_purposes       text[] NOT NULL,
    consent_share_with     text[] NOT NULL,
    consent_method         text NOT NULL,
    consent_notice_version text NOT NULL,
    consent_expires_at     timestamptz,
    consent_captured_at    timestamptz NOT NULL,
    consent_captured_by    text NOT NULL,
    consent_withdrawn_at   timestamptz,
    subject_hash           bytea,
    sealed                 bytea NOT NULL
);
CREATE INDEX feedback_agency_period ON feedback (agency, period);
CREATE INDEX feedback_subject_hash ON feedback (subject_hash) WHERE subject_hash IS NOT NULL;

-- Row-level security: a second line behind the policy. Each transaction says
-- which agencies it may see (set_config('candour.agencies', 'a,b', true)); a
-- transaction that says nothing sees and writes nothing.
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_by_agency ON feedback
    USING (agency = ANY (string_to_array(current_setting('candour.agencies', true), ',')))
    WITH CHECK (agency = ANY (string_to_array(current_setting('candour.agencies', true), ',')));

-- The audit log: seq is the 0-based Merkle leaf index, leaf the exact bytes
-- hashed. audit_head hands out sequence numbers; its row lock makes them
-- gap-free across every replica.
CREATE TABLE audit_head (
    id   smallint PRIMARY KEY CHECK (id = 1),
    next bigint NOT NULL CHECK (next >= 0)
);
INSERT INTO audit_head (id, next) VALUES (1, 0);

CREATE TABLE audit_log (
    seq    bigint PRIMARY KEY CHECK (seq >= 0),
    time   timestamptz NOT NULL,
    actor  text NOT NULL,
    action text NOT NULL,
    leaf   bytea NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE TABLE audit_records (
    record_id text NOT NULL,
    seq       bigint NOT NULL REFERENCES audit_log (seq),
    PRIMARY KEY (record_id, seq)
);

-- +goose StatementBegin
CREATE FUNCTION candour_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION candour_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.next <> OLD.next + 1 THEN
        RAISE EXCEPTION 'audit_head only moves forward by one' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION candour_head_forward();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION candour_append_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION candour_append_only();

-- Idempotency keys of POST /v1/feedback, scoped to the principal.
CREATE TABLE idempotency (
    issuer       text NOT NULL,
    subject      text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    record_id    text NOT NULL,
    audit_seq    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject, key)
);

-- Least privilege for the service.
GRANT USAGE ON SCHEMA public TO candour_app;
GRANT SELECT, INSERT ON feedback TO candour_app;
GRANT SELECT, INSERT ON audit_log, audit_records TO candour_app;
GRANT SELECT, UPDATE ON audit_head TO candour_app;
GRANT SELECT, INSERT ON idempotency TO candour_app;
GRANT SELECT ON goose_db_version TO candour_app;

-- +goose Down
DROP TABLE idempotency;
DROP TABLE audit_records;
DROP TABLE audit_log;
DROP TABLE audit_head;
DROP TABLE feedback;
DROP FUNCTION candour_head_forward();
DROP FUNCTION candour_append_only();

-- +goose Up
-- The citizen channel (docs/citizen-channel.md): invitations, each found
-- only by the SHA-256 of its link's token, used once; and the hash of the
-- receipt code with the record the person gave, so that the receipt goes
-- with the record when it is erased or swept.
CREATE TABLE invitations (
    id           text PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    agency       text NOT NULL,
    service      text NOT NULL,
    touchpoint   text NOT NULL,
    channel      text NOT NULL,
    period       text NOT NULL,
    sensitivity  text NOT NULL,
    subject_hash bytea,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used         boolean NOT NULL DEFAULT false
);
CREATE INDEX invitations_agency ON invitations (agency, created_at DESC);
CREATE INDEX invitations_subject ON invitations (agency, subject_hash) WHERE subject_hash IS NOT NULL;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitations_by_agency ON invitations
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]))
    WITH CHECK (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));
GRANT SELECT, INSERT, DELETE ON invitations TO candour_app;
GRANT UPDATE (used) ON invitations TO candour_app;

ALTER TABLE feedback ADD COLUMN receipt_hash bytea UNIQUE;

-- +goose StatementBegin
-- The invitation a link's token opens, whatever the transaction's agencies:
-- the token (128 bits and more, known only to the person holding the link)
-- is the authority, and only the row whose hash matches is returned.
CREATE FUNCTION candour_invitation(p_hash bytea) RETURNS SETOF invitations
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT * FROM invitations WHERE token_hash = p_hash;
$$;
-- The record a receipt code names, in the same way: its id only.
CREATE FUNCTION candour_receipt_record(p_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id FROM feedback WHERE receipt_hash = p_hash;
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_invitation(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_invitation(bytea) TO candour_app;
REVOKE ALL ON FUNCTION candour_receipt_record(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_receipt_record(bytea) TO candour_app;

-- +goose Down
DROP FUNCTION candour_receipt_record(bytea);
DROP FUNCTION candour_invitation(bytea);
ALTER TABLE feedback DROP COLUMN receipt_hash;
DROP TABLE invitations;

-- +goose Up
-- A submission is sent as one pipeline, committed at its end (docs/design.md,
-- "Storage"). Two of its checks used to be answered in Go between round trips;
-- they now refuse inside the database, so that the pipeline's transaction
-- rolls back whole: each raises its own SQLSTATE, which the store maps back
-- to candour.ErrDataKeyGone and candour.ErrInvitationUsed.

-- +goose StatementBegin
-- Holds the subject's data key (FOR KEY SHARE, until the transaction ends)
-- if it is still stored as the record was sealed under it; raises CD001 if
-- it was replaced or destroyed.
CREATE FUNCTION candour_hold_key(p_id text, p_wrapped bytea) RETURNS void
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    PERFORM 1 FROM data_keys WHERE id = p_id AND wrapped = p_wrapped FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the data key was replaced or destroyed' USING ERRCODE = 'CD001';
    END IF;
END
$$;
-- Uses up the invitation with this token hash if it is unused and unexpired
-- at p_at (row-level security applies: it runs as the caller); raises CD002
-- otherwise.
CREATE FUNCTION candour_use_invitation(p_hash bytea, p_at timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    UPDATE invitations SET used = true WHERE token_hash = p_hash AND NOT used AND expires_at > p_at;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the invitation is used or expired' USING ERRCODE = 'CD002';
    END IF;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_hold_key(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_hold_key(text, bytea) TO candour_app;
REVOKE ALL ON FUNCTION candour_use_invitation(bytea, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_use_invitation(bytea, timestamptz) TO candour_app;

-- +goose Down
DROP FUNCTION candour_use_invitation(bytea, timestamptz);
DROP FUNCTION candour_hold_key(text, bytea);

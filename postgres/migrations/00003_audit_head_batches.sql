-- +goose Up
-- The sequencer appends audit entries in batches (group commit): the head
-- moves forward by the size of a batch, never back and never in place.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION candour_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.next <= OLD.next THEN
        RAISE EXCEPTION 'audit_head only moves forward' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION candour_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.next <> OLD.next + 1 THEN
        RAISE EXCEPTION 'audit_head only moves forward by one' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

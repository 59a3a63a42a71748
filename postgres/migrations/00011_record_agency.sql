-- +goose Up
-- Which agency owns a record, whatever the transaction's agencies: row-level
-- security hides another agency's row from the service, but the policy must
-- still be asked about it, so that the audit entry of a refused read names
-- the decision that refused it (and a refused read takes the same path as a
-- read of a record that does not exist). It returns the agency only, never
-- the row.
-- +goose StatementBegin
CREATE FUNCTION candour_record_agency(p_id text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT agency FROM feedback WHERE id = p_id;
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_record_agency(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION candour_record_agency(text) TO candour_app;

-- +goose Down
DROP FUNCTION candour_record_agency(text);

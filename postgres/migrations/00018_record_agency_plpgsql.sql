-- +goose Up
-- candour_record_agency names the owning agency of every record an audit
-- entry names, inside the statement that appends the entries. As a SQL
-- function it was planned again at every call (PostgreSQL keeps no plan for a
-- SQL function it cannot inline, and a SECURITY DEFINER function is never
-- inlined); as PL/pgSQL its query's plan is kept for the session. Same
-- signature, same answer, same owner and grants (CREATE OR REPLACE keeps
-- them): docs/benchmarks.md, "Audit appends".
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION candour_record_agency(p_id text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
    RETURN (SELECT agency FROM feedback WHERE id = p_id);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION candour_record_agency(p_id text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT agency FROM feedback WHERE id = p_id;
$$;
-- +goose StatementEnd

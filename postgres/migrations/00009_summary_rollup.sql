-- +goose Up
-- Summaries read a rollup of the analytical columns instead of every row.
-- One row per distinct combination of what a scope or a summary can ask
-- about (agency, sensitivity, consent purposes and sharing, consent expiry,
-- the dimensions), holding the sums disclosure control needs. A trigger on
-- feedback keeps it exact inside the same transaction: a record counts while
-- its consent is not withdrawn. Consent expiry stays a column, so a scope
-- still drops expired consent at query time.
CREATE TABLE feedback_rollup (
    agency             text NOT NULL,
    sensitivity        text NOT NULL,
    consent_purposes   text[] NOT NULL,
    consent_share_with text[] NOT NULL,
    consent_expires_at timestamptz,
    service            text NOT NULL,
    touchpoint         text NOT NULL,
    channel            text NOT NULL,
    period             text NOT NULL,
    age_band           text NOT NULL,
    sex                text NOT NULL,
    ethnic_group       text NOT NULL,
    disability         text NOT NULL,
    n                  bigint NOT NULL,
    key_sum            bigint NOT NULL,
    sat_sum            bigint NOT NULL,
    sat_n              bigint NOT NULL,
    effort_sum         bigint NOT NULL,
    effort_n           bigint NOT NULL,
    safe_yes           bigint NOT NULL,
    safe_n             bigint NOT NULL,
    believed_yes       bigint NOT NULL,
    believed_n         bigint NOT NULL,
    promoters          bigint NOT NULL,
    detractors         bigint NOT NULL,
    recommend_n        bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (agency, sensitivity, consent_purposes, consent_share_with, consent_expires_at,
        service, touchpoint, channel, period, age_band, sex, ethnic_group, disability)
);
ALTER TABLE feedback_rollup ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_rollup_by_agency ON feedback_rollup
    USING (agency = ANY ((SELECT string_to_array(current_setting('candour.agencies', true), ','))::text[]));

-- +goose StatementBegin
-- Adds sign times a feedback row's contribution to its rollup row. It runs as
-- the owner (SECURITY DEFINER): the service may read the rollup, never write it.
CREATE FUNCTION candour_rollup_add(f feedback, sign integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO feedback_rollup AS r VALUES (
        f.agency, f.sensitivity, f.consent_purposes, f.consent_share_with, f.consent_expires_at,
        f.service, f.touchpoint, f.channel, f.period, f.age_band, f.sex, f.ethnic_group, f.disability,
        sign, sign * f.record_key,
        sign * coalesce(f.satisfaction, 0), sign * (f.satisfaction IS NOT NULL)::int,
        sign * coalesce(f.effort, 0), sign * (f.effort IS NOT NULL)::int,
        sign * (f.felt_safe = 'yes')::int, sign * (f.felt_safe <> '')::int,
        sign * (f.felt_believed = 'yes')::int, sign * (f.felt_believed <> '')::int,
        sign * coalesce((f.would_recommend >= 9)::int, 0), sign * coalesce((f.would_recommend <= 6)::int, 0),
        sign * (f.would_recommend IS NOT NULL)::int)
    ON CONFLICT (agency, sensitivity, consent_purposes, consent_share_with, consent_expires_at,
        service, touchpoint, channel, period, age_band, sex, ethnic_group, disability)
    DO UPDATE SET n = r.n + EXCLUDED.n, key_sum = r.key_sum + EXCLUDED.key_sum,
        sat_sum = r.sat_sum + EXCLUDED.sat_sum, sat_n = r.sat_n + EXCLUDED.sat_n,
        effort_sum = r.effort_sum + EXCLUDED.effort_sum, effort_n = r.effort_n + EXCLUDED.effort_n,
        safe_yes = r.safe_yes + EXCLUDED.safe_yes, safe_n = r.safe_n + EXCLUDED.safe_n,
        believed_yes = r.believed_yes + EXCLUDED.believed_yes, believed_n = r.believed_n + EXCLUDED.believed_n,
        promoters = r.promoters + EXCLUDED.promoters, detractors = r.detractors + EXCLUDED.detractors,
        recommend_n = r.recommend_n + EXCLUDED.recommend_n;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION candour_rollup() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.consent_withdrawn_at IS NULL THEN
        PERFORM candour_rollup_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.consent_withdrawn_at IS NULL THEN
        PERFORM candour_rollup_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER feedback_rollup AFTER INSERT OR UPDATE OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION candour_rollup();
-- +goose StatementBegin
CREATE FUNCTION candour_rollup_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    TRUNCATE feedback_rollup;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER feedback_rollup_truncate AFTER TRUNCATE ON feedback
    FOR EACH STATEMENT EXECUTE FUNCTION candour_rollup_truncate();
REVOKE ALL ON FUNCTION candour_rollup_add(feedback, integer) FROM PUBLIC;
GRANT SELECT ON feedback_rollup TO candour_app;

-- +goose StatementBegin
-- Recomputes the whole rollup from feedback, for this migration and after a
-- bulk load done with the row trigger disabled (docs/operations.md).
CREATE FUNCTION candour_rollup_rebuild() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM feedback_rollup;
    INSERT INTO feedback_rollup
    SELECT agency, sensitivity, consent_purposes, consent_share_with, consent_expires_at,
        service, touchpoint, channel, period, age_band, sex, ethnic_group, disability,
        count(*), sum(record_key), coalesce(sum(satisfaction), 0), count(satisfaction),
        coalesce(sum(effort), 0), count(effort),
        count(*) FILTER (WHERE felt_safe = 'yes'), count(*) FILTER (WHERE felt_safe <> ''),
        count(*) FILTER (WHERE felt_believed = 'yes'), count(*) FILTER (WHERE felt_believed <> ''),
        count(*) FILTER (WHERE would_recommend >= 9), count(*) FILTER (WHERE would_recommend <= 6),
        count(would_recommend)
    FROM feedback WHERE consent_withdrawn_at IS NULL
    GROUP BY agency, sensitivity, consent_purposes, consent_share_with, consent_expires_at,
        service, touchpoint, channel, period, age_band, sex, ethnic_group, disability;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION candour_rollup_rebuild() FROM PUBLIC;
SELECT candour_rollup_rebuild();

-- +goose Down
DROP FUNCTION candour_rollup_rebuild();
DROP TRIGGER feedback_rollup_truncate ON feedback;
DROP FUNCTION candour_rollup_truncate();
DROP TRIGGER feedback_rollup ON feedback;
DROP FUNCTION candour_rollup();
DROP FUNCTION candour_rollup_add(feedback, integer);
DROP TABLE feedback_rollup;

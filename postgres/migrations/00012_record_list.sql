-- +goose Up
-- The list of records a caseworker pages through: one agency's records,
-- newest first (ids are time-ordered), optionally by month, service or
-- submitter.
CREATE INDEX feedback_agency_id ON feedback (agency, id DESC);

-- +goose Down
DROP INDEX feedback_agency_id;

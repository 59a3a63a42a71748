-- +goose Up
-- Coarse equality-monitoring bands in clear, for grouping under equality
-- monitoring. They are set only when the record's consent covers equality
-- monitoring ('' otherwise, and once consent is withdrawn); the answers as
-- given stay in the sealed envelope. Records stored before this migration
-- keep '' (not given): their answers are only in their envelopes.
ALTER TABLE feedback ADD COLUMN age_band TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN sex TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN ethnic_group TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN disability TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE feedback DROP COLUMN disability;
ALTER TABLE feedback DROP COLUMN ethnic_group;
ALTER TABLE feedback DROP COLUMN sex;
ALTER TABLE feedback DROP COLUMN age_band;

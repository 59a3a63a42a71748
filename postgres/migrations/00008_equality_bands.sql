-- +goose Up
-- Coarse equality-monitoring bands in clear, for grouping under equality
-- monitoring. They are set only when the record's consent covers equality
-- monitoring ('' otherwise, and once consent is withdrawn); the answers as
-- given stay in the sealed envelope. Records stored before this migration
-- keep '' (not given): their answers are only in their envelopes.
ALTER TABLE feedback
    ADD COLUMN age_band text NOT NULL DEFAULT ''
        CHECK (age_band IN ('', 'under_25', '25-44', '45-64', '65+', 'prefer_not_to_say')),
    ADD COLUMN sex text NOT NULL DEFAULT ''
        CHECK (sex IN ('', 'female', 'male', 'other', 'prefer_not_to_say')),
    ADD COLUMN ethnic_group text NOT NULL DEFAULT ''
        CHECK (ethnic_group IN ('', 'asian', 'black', 'mixed', 'white', 'other', 'prefer_not_to_say')),
    ADD COLUMN disability text NOT NULL DEFAULT ''
        CHECK (disability IN ('', 'yes', 'no', 'prefer_not_to_say'));
-- Withdrawal clears the bands along with the sealed content.
GRANT UPDATE (age_band, sex, ethnic_group, disability) ON feedback TO candour_app;

-- +goose Down
REVOKE UPDATE (age_band, sex, ethnic_group, disability) ON feedback FROM candour_app;
ALTER TABLE feedback DROP COLUMN disability, DROP COLUMN ethnic_group, DROP COLUMN sex, DROP COLUMN age_band;

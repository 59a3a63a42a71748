-- +goose Up
-- `candour keys rotate` replaces wrapped data keys in place.
GRANT UPDATE (wrapped) ON data_keys TO candour_app;

-- +goose Down
REVOKE UPDATE (wrapped) ON data_keys FROM candour_app;

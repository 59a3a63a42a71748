-- +goose Up
-- Rotation pages through data keys in id order (the primary key serves it)
-- and replaces each wrapped key in place. Nothing to change in SQLite.
SELECT 1;

-- +goose Down
SELECT 1;

-- +goose Up
-- A random key per record (0-255), never shown: the cell-key method of
-- disclosure control sums them into a cell's key, so that the same cell always
-- gets the same perturbation however the query is phrased.
ALTER TABLE feedback ADD COLUMN record_key INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE feedback DROP COLUMN record_key;

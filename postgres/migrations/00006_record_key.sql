-- +goose Up
-- A random key per record (0-255), never shown: the cell-key method of
-- disclosure control sums them into a cell's key, so that the same cell always
-- gets the same perturbation however the query is phrased.
ALTER TABLE feedback ADD COLUMN record_key smallint NOT NULL DEFAULT 0 CHECK (record_key BETWEEN 0 AND 255);

-- +goose Down
ALTER TABLE feedback DROP COLUMN record_key;

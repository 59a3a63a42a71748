-- +goose Up
-- Sessions of the pages. id_hash is the SHA-256 of the cookie's random
-- value; the value itself is never stored.
CREATE TABLE web_sessions (
    id_hash      BLOB PRIMARY KEY,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    agency       TEXT NOT NULL,
    roles        TEXT NOT NULL, -- JSON array
    created_at   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    last_service TEXT NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);

-- +goose Down
DROP TABLE web_sessions;

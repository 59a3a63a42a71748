-- +goose Up
-- Sessions of the pages, shared by every replica: signing out on one ends
-- the session on all. id_hash is the SHA-256 of the cookie's random value;
-- the value itself is never stored.
CREATE TABLE web_sessions (
    id_hash      bytea PRIMARY KEY,
    issuer       text NOT NULL,
    subject      text NOT NULL,
    agency       text NOT NULL,
    roles        text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL,
    last_service text NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO candour_app;

-- +goose Down
DROP TABLE web_sessions;

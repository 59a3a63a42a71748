-- Run once per cluster, as a superuser, before `candour migrate`:
--   psql -v owner_password="'...'" -v app_password="'...'" -f deploy/postgres/roles.sql
--
-- candour_owner owns the schema and runs migrations (`candour migrate`).
-- candour_app is what `candour server` connects as: it may read and insert
-- feedback of the agencies each transaction names (row-level security), append
-- to the audit log, and nothing else. It cannot UPDATE, DELETE or TRUNCATE the
-- audit tables (no grant, and triggers refuse it even to the owner).
CREATE ROLE candour_owner LOGIN PASSWORD :owner_password;
CREATE ROLE candour_app LOGIN PASSWORD :app_password NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE candour OWNER candour_owner;
REVOKE ALL ON DATABASE candour FROM PUBLIC;
GRANT CONNECT ON DATABASE candour TO candour_app;

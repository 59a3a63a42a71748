-- Candour's database roles and database. Run as a superuser, before
-- `candour migrate`; safe to run again (it creates what is missing and sets
-- the passwords and attributes anew):
--
--   psql -v dbname=candour -v owner_password='…' -v app_password='…' -f deploy/postgres/roles.sql
--
-- dbname defaults to candour. candour_owner owns the schema and runs
-- migrations (`candour migrate`). candour_app is what `candour server`
-- connects as: it may read and insert feedback of the agencies each
-- transaction names (row-level security), append to the audit log, and
-- nothing else. It cannot UPDATE, DELETE or TRUNCATE the audit tables (no
-- grant, and triggers refuse it even to the owner).
\set ON_ERROR_STOP on
\if :{?dbname}
\else
\set dbname candour
\endif
\if :{?owner_password}
\else
\warn 'give -v owner_password=… and -v app_password=…'
\quit
\endif

SELECT 'CREATE ROLE candour_owner LOGIN'
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'candour_owner') \gexec
SELECT 'CREATE ROLE candour_app LOGIN'
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'candour_app') \gexec
ALTER ROLE candour_owner LOGIN PASSWORD :'owner_password';
ALTER ROLE candour_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER candour_owner', :'dbname')
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO candour_app', :'dbname') \gexec

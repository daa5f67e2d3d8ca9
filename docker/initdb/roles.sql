-- The database roles of the park land ledger (what scripts/ensure-db.sh makes on a
-- Debian machine), made once by the postgis image's entrypoint when the volume is new.
-- Passwords here are for the compose network only: change them (and the URLs in
-- compose.yaml) anywhere else. The migrations grant each role its part.
CREATE ROLE parks_owner   LOGIN PASSWORD 'parks_owner'   NOSUPERUSER NOCREATEROLE INHERIT;
CREATE ROLE parks_app     LOGIN PASSWORD 'parks_app'     NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT;
CREATE ROLE parks_reader  LOGIN PASSWORD 'parks_reader'  NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT;
CREATE ROLE parks_auditor LOGIN PASSWORD 'parks_auditor' NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT;
ALTER ROLE parks_reader  SET default_transaction_read_only = on;
ALTER ROLE parks_reader  SET statement_timeout = '5min';
ALTER ROLE parks_auditor SET default_transaction_read_only = on;
ALTER ROLE parks_auditor SET statement_timeout = '5min';
CREATE DATABASE parks OWNER parks_owner ENCODING 'UTF8' TEMPLATE template0;
\connect parks
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

#!/bin/sh
# Runs once when the PostgreSQL volume is created: a login role for Odoo, with the same
# password as the gateway's (POSTGRES_PASSWORD from .env).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE odoo WITH LOGIN CREATEDB PASSWORD '${POSTGRES_PASSWORD}';
SQL

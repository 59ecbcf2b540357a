"""Backups that restore: `flask backup --out DIR` and `flask restore DIR`.

A backup is a consistent copy of the whole database (PostgreSQL: `pg_dump --format=custom` inside
an exported snapshot; SQLite: the online backup API) and a manifest: the files with their SHA-256
and sizes, the schema's revision, the time, and the rows in every table as the copy holds them.
A restore checks the files against the manifest, goes only into an empty database, and checks the
rows afterwards. Backups hold personal data: they are written readable by their owner only.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore, with argument lists, never a shell # nosec B404
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine

from conference.db import utcnow
from conference.extensions import db

MANIFEST = "manifest.json"
FORMAT = 1
DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    revision: str | None


# ---------------------------------------------------------------------------------------------
# What is in a database


def row_counts(connection: Connection) -> dict[str, int]:
    """The rows in every table of the database (its default schema), by table name."""
    names = sorted(sa.inspect(connection).get_table_names())
    return {
        name: connection.execute(
            sa.select(sa.func.count()).select_from(sa.table(name))
        ).scalar_one()
        for name in names
    }


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at (None without one)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    revisions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return ",".join(sorted(revisions)) or None


def is_empty(engine: Engine) -> bool:
    """Whether the database has no table at all (in any schema of its own)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            tables = connection.execute(
                sa.text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN "
                    "('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
        else:
            tables = len(sa.inspect(connection).get_table_names())
    return tables == 0


# ---------------------------------------------------------------------------------------------
# PostgreSQL's tools


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it, and an environment carrying the password (never argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def server_major(connection: Connection) -> int:
    """The PostgreSQL server's major version."""
    return int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000


def pg_tool(name: str, server: int, bin_dir: str = "") -> str:
    """The path of pg_dump or pg_restore, refused clearly when missing or older than the server."""
    path = str(Path(bin_dir) / name) if bin_dir else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise BackupError(
            f"{name} was not found. Install Debian's postgresql-client-{server} (the server's "
            f"version) or set PG_BIN_DIR to the folder that holds it."
        )
    found = subprocess.run(  # a fixed argument list # noqa: S603 # nosec B603
        [path, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)*\s*(?:\(.*\))?\s*$", found.strip())
    major = int(match.group(1)) if match else 0
    if major < server:
        raise BackupError(
            f"{name} is version {major or 'unknown'}, older than the server ({server}). Install "
            f"Debian's postgresql-client-{server} or set PG_BIN_DIR to its folder."
        )
    return path


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # our own argument list, no shell # noqa: S603 # nosec B603
        argv, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tool = Path(argv[0]).name
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")


# ---------------------------------------------------------------------------------------------
# Backup


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BackupError(f"{out_dir} is not empty: give a new or empty folder for the backup.")
    out_dir.mkdir(parents=True, exist_ok=True)
    out_dir.chmod(0o700)


def _backup_postgresql(engine: Engine, dump: Path, bin_dir: str) -> dict[str, Any]:
    url, env = _libpq(engine.url)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads the very snapshot the counts below are taken in.
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            pg_dump = pg_tool("pg_dump", server_major(connection), bin_dir)
            counts = row_counts(connection)
            revision = schema_revision(connection)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={url}",
                ],
                env,
            )
    return {"row_counts": counts, "alembic_revision": revision}


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _backup_sqlite(engine: Engine, copy: Path) -> dict[str, Any]:
    source_path = _sqlite_path(engine)
    if not source_path.is_file():
        raise BackupError(f"There is no SQLite database at {source_path}.")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # a consistent copy, even while the app writes
    finally:
        target.close()
        source.close()
    reader = sa.create_engine(f"sqlite:///{copy}")
    try:
        with reader.connect() as connection:
            return {
                "row_counts": row_counts(connection),
                "alembic_revision": schema_revision(connection),
            }
    finally:
        reader.dispose()


def make_backup(engine: Engine, out_dir: Path, *, now: datetime, bin_dir: str = "") -> dict:
    """Write a consistent copy of the database and its manifest into `out_dir`; returns the
    manifest. The manifest is written last: a folder without one is no backup."""
    kind = engine.dialect.name
    if kind not in DUMP_FILES:
        raise BackupError(f"Backups of {kind} databases are not supported.")
    _prepare(out_dir)
    dump = out_dir / DUMP_FILES[kind]
    if kind == "postgresql":
        facts = _backup_postgresql(engine, dump, bin_dir)
    else:
        facts = _backup_sqlite(engine, dump)
    dump.chmod(0o600)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": kind,
        "alembic_revision": facts["alembic_revision"],
        "files": [{"name": dump.name, "sha256": sha256_of(dump), "size": dump.stat().st_size}],
        "row_counts": facts["row_counts"],
    }
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    path.chmod(0o600)
    return manifest


# ---------------------------------------------------------------------------------------------
# Restore


def read_manifest(directory: Path) -> dict:
    """The backup's manifest, refused when missing or not of our making."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise BackupError(f"{path} is missing: this is not a complete backup.") from error
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a manifest this version can restore.")
    return manifest


def check_files(directory: Path, manifest: dict) -> list[str]:
    """Each file of the manifest that is missing or whose size or hash differs, named."""
    problems = []
    for entry in manifest.get("files", []):
        path = directory / Path(entry["name"]).name
        if not path.is_file():
            problems.append(f"missing: {entry['name']}")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"changed: {entry['name']}")
    return problems


def _restore_postgresql(engine: Engine, dump: Path, bin_dir: str) -> None:
    url, env = _libpq(engine.url)
    with engine.connect() as connection:
        pg_restore = pg_tool("pg_restore", server_major(connection), bin_dir)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",  # all or nothing
            f"--dbname={url}",
            str(dump),
        ],
        env,
    )


def _restore_sqlite(engine: Engine, copy: Path) -> None:
    target_path = _sqlite_path(engine)
    engine.dispose()
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def restore_backup(engine: Engine, directory: Path, *, bin_dir: str = "") -> Restored:
    """Check the backup in `directory`, restore it into the (empty) database, and check that
    every table has the rows the manifest lists."""
    manifest = read_manifest(directory)
    problems = check_files(directory, manifest)
    if problems:
        raise BackupError("The backup does not match its manifest: " + "; ".join(problems))
    kind = engine.dialect.name
    if manifest.get("database") != kind:
        raise BackupError(
            f"This is a backup of a {manifest.get('database')} database; the configured "
            f"database is {kind}."
        )
    if not is_empty(engine):
        raise BackupError(
            "The configured database is not empty: restore only into a new, empty database "
            "(nothing was changed)."
        )
    dump = directory / DUMP_FILES[kind]
    if kind == "postgresql":
        _restore_postgresql(engine, dump, bin_dir)
    else:
        _restore_sqlite(engine, dump)
    with engine.connect() as connection:
        counts = row_counts(connection)
        revision = schema_revision(connection)
    expected = manifest["row_counts"]
    differences = [
        f"{table}: {counts.get(table)} rows, the backup had {rows}"
        for table, rows in sorted(expected.items())
        if counts.get(table) != rows
    ] + [f"{table}: not in the backup" for table in sorted(set(counts) - set(expected))]
    if differences:
        raise BackupError("The restored database differs: " + "; ".join(differences))
    return Restored(tables=len(counts), rows=sum(counts.values()), revision=revision)


# ---------------------------------------------------------------------------------------------
# The commands


@click.command("backup")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="A new or empty folder for the backup.",
)
def backup_command(out_dir: Path) -> None:
    """Write a consistent backup of the database, with a manifest of hashes and row counts."""
    try:
        manifest = make_backup(
            db.engine, out_dir, now=utcnow(), bin_dir=current_app.config["PG_BIN_DIR"]
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(manifest["row_counts"].values())
    click.echo(
        f"backup of {len(manifest['row_counts'])} tables ({rows} rows) at revision "
        f"{manifest['alembic_revision']} written to {out_dir}"
    )


@click.command("restore")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True
)
def restore_command(directory: Path) -> None:
    """Restore a backup into the configured database, which must be empty; checks the files'
    hashes first and every table's rows afterwards."""
    from conference.observability.health import migration_heads

    try:
        restored = restore_backup(db.engine, directory, bin_dir=current_app.config["PG_BIN_DIR"])
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"restored {restored.tables} tables ({restored.rows} rows) at revision "
        f"{restored.revision}; every table has the rows the backup lists"
    )
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if restored.revision not in heads:
        click.echo("this code expects a newer schema: run `flask --app wsgi db upgrade` next")

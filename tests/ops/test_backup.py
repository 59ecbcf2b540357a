"""Backups that restore: demo-like data -> backup -> restore into a new database -> the audit
chain verifies and every table holds the same rows. On SQLite and on PostgreSQL."""

import json
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from conference.auth.models import Agency
from conference.backup import BackupError, pg_tool
from conference.extensions import db
from tests.conftest import make_app
from tests.factories import AgencyFactory
from tests.worlds import add_restricted_records, build_world


def run(app: Flask, *args: str) -> Result:
    """A command on the tests' own app (whose context the tests already hold)."""
    db.session.commit()
    return app.test_cli_runner().invoke(args=list(args))


def run_on(target: Flask, *args: str) -> Result:
    """A command on another app: in its own context, or it would run on the tests' database."""
    with target.app_context():
        try:
            return target.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()


@pytest.fixture
def empty_database(app: Flask, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database beside the tests' own; dropped afterwards."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{url.database}_restore_{secrets.token_hex(3)}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def every_row(url: str) -> dict[str, list[tuple]]:
    """Each table's rows, in a stable order, read through a connection of its own."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {
                name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def seed(client, login) -> None:
    """A small world with restricted data, sign-ins and audited views: a chain to verify."""
    world = build_world()
    add_restricted_records(world)
    login(world.users["chair"])
    client.get(f"/cases/{world.cases['plain'].reference}/restricted")
    login(world.users["police"])


def test_a_backup_restores_into_a_new_database_with_the_same_rows_and_a_sound_audit_chain(
    app: Flask, client, login, empty_database: str, tmp_path: Path
) -> None:
    seed(client, login)
    backup = tmp_path / "backup"

    made = run(app, "backup", "--out", str(backup))

    assert made.exit_code == 0, made.output
    manifest = json.loads((backup / "manifest.json").read_text())
    [entry] = manifest["files"]
    assert entry["size"] == (backup / entry["name"]).stat().st_size
    assert manifest["row_counts"]["audit_event"] >= 3
    assert manifest["alembic_revision"]
    assert stat.S_IMODE((backup / entry["name"]).stat().st_mode) == 0o600  # personal data

    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database)
    try:
        restored = run_on(target, "restore", str(backup))
        assert restored.exit_code == 0, restored.output
        assert "every table has the rows the backup lists" in restored.output
        verified = run_on(target, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert f"{manifest['row_counts']['audit_event']} audit events verified" in verified.output
    finally:
        with target.app_context():
            db.engine.dispose()
    source_rows = every_row(app.config["SQLALCHEMY_DATABASE_URI"])
    assert every_row(empty_database) == source_rows
    assert sum(map(len, source_rows.values())) == sum(manifest["row_counts"].values())


def test_a_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(
    app: Flask, tmp_path: Path
) -> None:
    build_world()
    backup = tmp_path / "backup"
    assert run(app, "backup", "--out", str(backup)).exit_code == 0
    AgencyFactory(code="NEW", name="Added after the backup")

    refused = run(app, "restore", str(backup))

    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert db.session.scalar(sa.select(Agency).where(Agency.code == "NEW")) is not None


def test_a_restore_refuses_a_backup_whose_files_changed_or_went_missing(
    app: Flask, empty_database: str, tmp_path: Path
) -> None:
    build_world()
    backup = tmp_path / "backup"
    assert run(app, "backup", "--out", str(backup)).exit_code == 0
    [entry] = json.loads((backup / "manifest.json").read_text())["files"]
    dump = backup / entry["name"]
    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database)
    try:
        with dump.open("r+b") as stream:  # one byte changed
            stream.seek(200)
            byte = stream.read(1)
            stream.seek(200)
            stream.write(bytes([byte[0] ^ 0xFF]))
        changed = run_on(target, "restore", str(backup))
        assert changed.exit_code == 1
        assert f"changed: {entry['name']}" in changed.output

        dump.unlink()
        missing = run_on(target, "restore", str(backup))
        assert f"missing: {entry['name']}" in missing.output

        (backup / "manifest.json").unlink()
        no_manifest = run_on(target, "restore", str(backup))
        assert "not a complete backup" in no_manifest.output
        with target.app_context():
            assert sa.inspect(db.engine).get_table_names() == []  # nothing was restored
    finally:
        with target.app_context():
            db.engine.dispose()


def test_a_backup_refuses_a_folder_that_already_holds_files(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    result = run(app, "backup", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert (tmp_path / "old.txt").read_text() == "keep me"


def fake_tool(folder: Path, name: str, version: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    tool.chmod(0o755)


def test_missing_or_older_postgresql_tools_are_named_with_the_package_to_install(
    tmp_path: Path,
) -> None:
    with pytest.raises(BackupError, match=r"pg_dump was not found.*postgresql-client-15"):
        pg_tool("pg_dump", 15, str(tmp_path))
    fake_tool(tmp_path, "pg_dump", "14.11 (Debian 14.11-1)")
    with pytest.raises(BackupError, match=r"version 14, older than the server \(15\)"):
        pg_tool("pg_dump", 15, str(tmp_path))
    fake_tool(tmp_path, "pg_restore", "15.20 (Debian 15.20-0+deb12u1)")
    assert pg_tool("pg_restore", 15, str(tmp_path)) == str(tmp_path / "pg_restore")

"""The deployment files, checked as far as this machine can (it runs no containers): the compose
file parses with the expected services, the image is built as promised, and the systemd units
pass `systemd-analyze verify` (or, without it, parse)."""

import configparser
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("case-conference-*"))


def test_compose_runs_two_app_servers_the_scheduler_postgresql_and_a_mail_catcher() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "app1", "app2", "scheduler", "db", "mail"}

    ours = [services[name] for name in ("migrate", "app1", "app2", "scheduler")]
    assert {s["image"] for s in ours} == {"case-conference:latest"}
    assert {s["build"]["dockerfile"] for s in ours} == {"deploy/Dockerfile"}
    context = (DEPLOY / ours[0]["build"]["context"]).resolve()
    assert context == ROOT
    assert (context / "deploy" / "Dockerfile").is_file()
    for service in ours:
        environment = service["environment"]
        assert environment["CONFERENCE_CONFIG"] == "production"
        assert environment["DATABASE_URL"].startswith("postgresql://conference:")
        assert environment["DATABASE_URL"].endswith("@db:5432/conference")
        assert environment["MAIL_SERVER"] == "mail"
    ports = {name: services[name]["ports"][0].split(":")[0] for name in ("app1", "app2")}
    assert len(set(ports.values())) == 2  # two servers side by side
    assert services["scheduler"]["command"] == ["flask", "--app", "wsgi", "scheduler"]
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    for name in ("app1", "app2", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["db"]["image"].startswith("postgres:15")
    assert "mailpit" in services["mail"]["image"]
    # The archive (and the audit anchors) on a volume every app container shares.
    for name in ("app1", "app2", "scheduler"):
        assert "exports:/var/lib/case-conference/exports" in services[name]["volumes"]


def test_the_image_is_non_root_with_weasyprints_libraries_and_the_translations() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    # The Debian libraries the Makefile installs for WeasyPrint, and the server's pg_dump.
    makefile = (ROOT / "Makefile").read_text()
    system_deps = re.search(r"apt-get install -y -qq ([^;]+);", makefile)
    assert system_deps
    for package in system_deps.group(1).replace("\\", " ").split():
        assert package in dockerfile, package
    assert "postgresql-client-15" in dockerfile
    assert "pybabel compile -d conference/translations" in dockerfile
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]' in dockerfile
    for copied in re.findall(r"^COPY (?!--)(.+) \S+$", dockerfile, re.MULTILINE):
        for path in copied.split():
            assert (ROOT / path).exists(), path


def test_gunicorn_settings_preload_log_json_and_keep_no_access_log(monkeypatch) -> None:
    monkeypatch.setenv("BIND", "127.0.0.1:9999")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert (settings["bind"], settings["workers"]) == ("127.0.0.1:9999", 5)
    assert settings["preload_app"] is True
    assert settings["accesslog"] is None  # the app's own request line, without paths
    assert settings["logconfig_dict"]["root"]["handlers"] == []  # left to the app
    assert callable(settings["on_starting"])


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    names = {unit.name for unit in UNITS}
    assert names == {
        "case-conference-web.service",
        "case-conference-scheduler.service",
        "case-conference-backup.service",
        "case-conference-backup.timer",
    }
    # Checked against this checkout instead of /opt/case-conference, so the programs exist.
    for unit in UNITS:
        text = unit.read_text().replace("/opt/case-conference", str(ROOT))
        (tmp_path / unit.name).write_text(text)
        parsed = configparser.ConfigParser(strict=False, interpolation=None)
        parsed.read_string(text)
        assert parsed.has_section("Unit")
        if unit.suffix == ".service":
            assert parsed["Service"]["User"] == "conference"
            assert parsed["Service"]["ExecStart"]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were parsed only")
    result = subprocess.run(  # noqa: S603 - our own argument list
        [analyze, "verify", "--man=no", *sorted(names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even an unknown key


def test_every_setting_in_the_example_environment_is_one_the_app_reads() -> None:
    config = (ROOT / "config.py").read_text()
    compose = (DEPLOY / "compose.yaml").read_text()
    names = re.findall(r"^#? ?([A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.MULTILINE)
    assert "SECRET_KEY" in names
    for name in names:
        assert f'"{name}"' in config or f"${{{name}" in compose, name

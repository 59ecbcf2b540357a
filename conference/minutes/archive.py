"""The archive of signed minutes: PDF/A files and a manifest of their SHA-256, never rewritten."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from conference.auth.models import Agency
from conference.documents.minutes import extract_agencies, extract_content
from conference.documents.pdf import render_pdf
from conference.extensions import db
from conference.minutes.models import ArchivedFile, MinutesVersion

PDF_VARIANT = "pdf/a-3b"


def root() -> Path:
    return Path(current_app.config["EXPORTS_DIR"])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_minutes(content: dict, *, pdf_variant: str | None = None) -> bytes:
    return render_pdf("documents/minutes.html", doc=content, pdf_variant=pdf_variant)


def archive_version(version: MinutesVersion, now: datetime) -> list[ArchivedFile]:
    """Write the minutes and every extract as PDF/A, and the manifest; record each file."""
    content = version.content
    folder = root() / content["panel"]["code"] / str(version.meeting.starts_at.year)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{version.document_id}-v{version.number}"
    codes = dict(
        db.session.execute(
            sa.select(Agency.id, Agency.code).where(Agency.id.in_(list(extract_agencies(content))))
        ).all()
    )
    documents: list[tuple[int | None, str, bytes]] = [
        (None, f"{stem}.pdf", render_minutes(content, pdf_variant=PDF_VARIANT))
    ]
    for extract_agency, name in extract_agencies(content).items():
        extract = extract_content(content, extract_agency, name)
        documents.append(
            (
                extract_agency,
                f"{stem}-{codes[extract_agency]}.pdf",
                render_minutes(extract, pdf_variant=PDF_VARIANT),
            )
        )
    files = []
    manifest = []
    for owner, name, body in documents:
        path = folder / name
        with path.open("xb") as handle:  # an archived file is never overwritten
            handle.write(body)
        digest = hashlib.sha256(body).hexdigest()
        manifest.append({"file": name, "sha256": digest, "bytes": len(body)})
        files.append(_record(version, owner, path, digest, len(body), now))
    manifest_body = json.dumps(
        {"document_id": version.document_id, "version": version.number, "files": manifest},
        indent=2,
        sort_keys=True,
    ).encode()
    manifest_path = folder / f"{stem}.manifest.json"
    with manifest_path.open("xb") as handle:
        handle.write(manifest_body)
    files.append(
        _record(
            version,
            None,
            manifest_path,
            hashlib.sha256(manifest_body).hexdigest(),
            len(manifest_body),
            now,
        )
    )
    db.session.flush()
    return files


def _record(
    version: MinutesVersion,
    agency_id: int | None,
    path: Path,
    digest: str,
    size: int,
    now: datetime,
) -> ArchivedFile:
    archived = ArchivedFile(
        version_id=version.id,
        agency_id=agency_id,
        path=str(path.relative_to(root())),
        sha256=digest,
        size_bytes=size,
        created_at=now,
    )
    db.session.add(archived)
    return archived


@dataclass(frozen=True)
class Problem:
    path: str
    what: str  # "missing" or "changed"


def verify_archive() -> tuple[int, list[Problem]]:
    """Re-hash every archived file: how many were checked, and what is missing or changed."""
    problems = []
    files = db.session.scalars(sa.select(ArchivedFile).order_by(ArchivedFile.id)).all()
    for archived in files:
        path = root() / archived.path
        if not path.is_file():
            problems.append(Problem(archived.path, "missing"))
        elif sha256_of(path) != archived.sha256:
            problems.append(Problem(archived.path, "changed"))
    return len(files), problems


def archived_body(version: MinutesVersion, agency_id: int | None) -> bytes | None:
    """The archived PDF of the minutes (agency None) or of one agency's extract."""
    for archived in version.files:
        if archived.agency_id == agency_id and archived.path.endswith(".pdf"):
            return (root() / archived.path).read_bytes()
    return None

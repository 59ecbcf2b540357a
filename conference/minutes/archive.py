"""The archive of signed minutes: PDF/A files and a manifest of their SHA-256, in the database.

The archive is written in the same transaction as the last signature, so a failed commit leaves
nothing behind and signing again simply archives again. Any server can serve and verify it;
`flask minutes export` copies it to a folder for printing and off-line archiving, with the
manifest, and `flask minutes verify --export DIR` checks such a copy.

The manifest holds the hash of the version's content as well as of each file, and the
`minutes.archived` audit event (sealed in the keyed audit chain) holds the manifest's hash: an
edit of the stored content, a file or the manifest in the database is found by `verify`.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import undefer

from conference.audit.anchor import Anchor
from conference.auth.models import Agency
from conference.documents.minutes import extract_agencies, extract_content, with_signatures
from conference.documents.pdf import html_to_pdf
from conference.extensions import db
from conference.languages import written_in
from conference.minutes.models import ArchivedFile, ArchivedFileKind, MinutesVersion

PDF_VARIANT = "pdf/a-3b"
log = logging.getLogger("conference.minutes")


class ArchiveError(RuntimeError):
    """An archived file is missing or no longer what was signed."""


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def content_hash(content: dict[str, Any]) -> str:
    """The SHA-256 of a version's stored content, in a canonical form."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256(canonical.encode())


def render_minutes(doc: dict[str, Any], *, locale: str, pdf_variant: str | None = None) -> bytes:
    """The minutes (or an extract) as a PDF, from plain data that includes its signatures, in
    the language of their version."""
    return html_to_pdf(minutes_html(doc, locale=locale), pdf_variant=pdf_variant)


def minutes_html(doc: dict[str, Any], *, locale: str) -> str:
    """The minutes' (or an extract's) HTML: what their PDF is rendered from."""
    with written_in(locale):
        return render_template("documents/minutes.html", doc=doc)


def _folder(version: MinutesVersion) -> str:
    return f"{version.content['panel']['code']}/{version.meeting.starts_at.year}"


def archive_version(
    version: MinutesVersion,
    signatures: dict[str, Any],
    now: datetime,
    *,
    anchor: Anchor | None = None,
) -> dict[str, Any]:
    """Render the minutes and every extract as PDF/A with their signature block, store them and
    the manifest (with the audit chain's anchor taken at signing, when there is one); returns
    the manifest (its hash goes into the audit trail)."""
    content = version.content
    stem = f"{_folder(version)}/{version.document_id}-v{version.number}"
    agencies = extract_agencies(content)
    codes = dict(
        db.session.execute(
            sa.select(Agency.id, Agency.code).where(Agency.id.in_(list(agencies)))
        ).all()
    )
    documents: list[tuple[ArchivedFileKind, int | None, str, bytes]] = [
        (
            ArchivedFileKind.MINUTES,
            None,
            f"{stem}.pdf",
            render_minutes(
                with_signatures(content, signatures),
                locale=version.locale,
                pdf_variant=PDF_VARIANT,
            ),
        )
    ]
    for agency_id, name in agencies.items():
        extract = with_signatures(extract_content(content, agency_id, name), signatures)
        documents.append(
            (
                ArchivedFileKind.EXTRACT,
                agency_id,
                f"{stem}-{codes[agency_id]}.pdf",
                render_minutes(extract, locale=version.locale, pdf_variant=PDF_VARIANT),
            )
        )
    manifest = {
        "document_id": version.document_id,
        "version": version.number,
        "content_sha256": content_hash(content),
        "signed_at": now.isoformat(),
        "audit_anchor": {
            "file": anchor.path,
            "sha256": anchor.sha256,
            "seq": anchor.seq,
            "head": anchor.head,
        }
        if anchor is not None
        else None,
        "files": [
            {"file": Path(path).name, "sha256": sha256(body), "bytes": len(body)}
            for _kind, _agency, path, body in documents
        ],
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    documents.append((ArchivedFileKind.MANIFEST, None, f"{stem}.manifest.json", body))
    for kind, owner, path, data in documents:
        db.session.add(
            ArchivedFile(
                version_id=version.id,
                agency_id=owner,
                kind=kind,
                path=path,
                sha256=sha256(data),
                size_bytes=len(data),
                body=data,
                created_at=now,
            )
        )
    db.session.flush()
    return manifest | {"manifest_sha256": sha256(body)}


def _files(version_id: int | None = None) -> list[ArchivedFile]:
    query = sa.select(ArchivedFile).options(undefer(ArchivedFile.body)).order_by(ArchivedFile.id)
    if version_id is not None:
        query = query.where(ArchivedFile.version_id == version_id)
    return list(db.session.scalars(query))


def manifest_of(version: MinutesVersion) -> dict[str, Any] | None:
    """The archived manifest of a version, or None when it was not archived (or is unreadable)."""
    row = db.session.scalar(
        sa.select(ArchivedFile)
        .options(undefer(ArchivedFile.body))
        .where(
            ArchivedFile.version_id == version.id,
            ArchivedFile.kind == ArchivedFileKind.MANIFEST,
        )
    )
    if row is None or row.body is None:
        return None
    try:
        manifest: dict[str, Any] = json.loads(row.body)
    except ValueError:
        return None
    return manifest


def content_intact(version: MinutesVersion) -> bool:
    """Whether an archived version's stored content is still what was signed."""
    manifest = manifest_of(version)
    return manifest is not None and manifest.get("content_sha256") == content_hash(version.content)


def archived_body(version: MinutesVersion, agency_id: int | None) -> bytes:
    """The archived PDF of the minutes (agency None) or of one agency's extract, after checking
    it is what was signed; raises ArchiveError (and logs it for the administrator) if not."""
    kind = ArchivedFileKind.MINUTES if agency_id is None else ArchivedFileKind.EXTRACT
    row = db.session.scalar(
        sa.select(ArchivedFile)
        .options(undefer(ArchivedFile.body))
        .where(
            ArchivedFile.version_id == version.id,
            ArchivedFile.kind == kind,
            ArchivedFile.agency_id.is_(None)
            if agency_id is None
            else ArchivedFile.agency_id == agency_id,
        )
    )
    manifest = manifest_of(version) or {}
    listed = {f["file"]: f["sha256"] for f in manifest.get("files", [])}
    if row is None or row.body is None:
        log.error("archived file missing: minutes version %s, agency %s", version.id, agency_id)
        raise ArchiveError("missing")
    digest = sha256(row.body)
    if digest != row.sha256 or listed.get(Path(row.path).name) != digest:
        log.error("archived file changed: %s", row.path)
        raise ArchiveError("changed")
    return row.body


@dataclass(frozen=True)
class Problem:
    path: str
    what: str  # "missing", "changed", "content changed", "not in the manifest"


def verify_archive(
    audited_manifests: dict[int, str | None] | None = None,
) -> tuple[int, list[Problem]]:
    """Re-hash every archived file and each signed version's content against its manifest,
    and each manifest against the hash the audit trail recorded at signing (when given)."""
    problems: list[Problem] = []
    files = _files()
    by_version: dict[int, list[ArchivedFile]] = {}
    for row in files:
        by_version.setdefault(row.version_id, []).append(row)
    for version_id, rows in by_version.items():
        manifest_row = next((r for r in rows if r.kind is ArchivedFileKind.MANIFEST), None)
        manifest: dict[str, Any] = {}
        if manifest_row is None or manifest_row.body is None:
            problems.append(Problem(f"version {version_id} manifest", "missing"))
        else:
            audited = (audited_manifests or {}).get(version_id, manifest_row.sha256)
            if audited_manifests is not None and version_id not in audited_manifests:
                problems.append(Problem(manifest_row.path, "not in the audit trail"))
            # Archives from before manifests were audited have no hash there (None).
            if sha256(manifest_row.body) != manifest_row.sha256 or audited not in (
                None,
                manifest_row.sha256,
            ):
                problems.append(Problem(manifest_row.path, "changed"))
            try:
                manifest = json.loads(manifest_row.body)
            except ValueError:
                problems.append(Problem(manifest_row.path, "changed"))
        listed = {f["file"]: f["sha256"] for f in manifest.get("files", [])}
        for row in rows:
            if row.kind is ArchivedFileKind.MANIFEST:
                continue
            if row.body is None:
                problems.append(Problem(row.path, "missing"))
            elif sha256(row.body) != row.sha256 or (
                manifest and listed.get(Path(row.path).name) != row.sha256
            ):
                problems.append(Problem(row.path, "changed"))
        version = db.session.get(MinutesVersion, version_id)
        changed = (
            version is not None
            and "content_sha256" in manifest
            and manifest["content_sha256"] != content_hash(version.content)
        )
        if changed:
            problems.append(Problem(f"version {version_id} content", "content changed"))
    return len(files), problems


def export(folder: Path) -> list[Path]:
    """Copy the whole archive into `folder` (for printing and off-line archiving): each file
    under its path, written to a temporary name and moved into place; identical files that are
    already there are left as they are."""
    written = []
    for row in _files():
        if row.body is None:
            continue
        target = folder / row.path
        if target.is_file() and sha256(target.read_bytes()) == row.sha256:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(row.body)
        partial.replace(target)
        written.append(target)
    return written


def verify_export(folder: Path) -> list[Problem]:
    """Compare an export folder with the archive: each file missing or different is named."""
    problems = []
    for row in _files():
        target = folder / row.path
        if not target.is_file():
            problems.append(Problem(row.path, "missing"))
        elif sha256(target.read_bytes()) != row.sha256:
            problems.append(Problem(row.path, "changed"))
    return problems


# --- Archived files never change ----------------------------------------------------------------


@sa.event.listens_for(ArchivedFile, "before_update")
def _refuse_changing_archived(mapper: Any, connection: Any, row: ArchivedFile) -> None:
    raise ArchiveError(f"archived file {row.id} is part of signed minutes and cannot change")


@sa.event.listens_for(ArchivedFile, "before_delete")
def _refuse_deleting_archived(mapper: Any, connection: Any, row: ArchivedFile) -> None:
    raise ArchiveError(f"archived file {row.id} is part of signed minutes and cannot be deleted")

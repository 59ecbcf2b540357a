"""Anchors: the chain's head written outside the database, signed with the audit key.

An anchor is a small JSON file in EXPORTS_DIR/anchors/ (copied off the server with the archive)
saying "on this date the chain held N events and its head was H". A table rewritten, truncated
or recomputed after an anchor no longer has H at N, which `flask audit verify` reports; a forged
anchor fails its signature. One log line per anchor gives a second copy wherever logs are kept.
"""

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from conference.audit.chain import (
    Break,
    audit_key,
    canonical,
    keyed_mac,
    same,
    seal_pending,
)

log = logging.getLogger("conference.audit")

FOLDER = "anchors"
DAILY = "daily"
FIELDS = ("anchor", "at", "reason", "seq", "head", "legacy_seq")


@dataclass(frozen=True)
class Anchor:
    """One anchor file: where it is (relative to EXPORTS_DIR), its SHA-256, what it anchors."""

    path: str
    sha256: str
    seq: int
    head: str
    at: datetime
    reason: str
    legacy_seq: int = 0


def _folder() -> Path:
    return Path(current_app.config["EXPORTS_DIR"]) / FOLDER


def _signature(payload: dict[str, Any]) -> str:
    return keyed_mac(audit_key(), b"audit anchor", canonical(payload))


def _write_new(folder: Path, stem: str, body: bytes) -> Path:
    """Write the body under a name not yet taken, atomically: a temporary file, synced, then
    linked to its name (a link never replaces an existing file, unlike a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".anchor-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        attempt = 1
        while True:
            path = folder / (f"{stem}.json" if attempt == 1 else f"{stem}-{attempt}.json")
            try:
                os.link(temporary, path)
                return path
            except FileExistsError:
                attempt += 1
    finally:
        os.unlink(temporary)


def anchor_head(now: datetime, *, reason: str) -> Anchor:
    """Seal the pending events, then write the committed head of the chain to a new signed file
    in EXPORTS_DIR/anchors/ and log it. Runs in a transaction of its own (call it after your
    commit: what is not committed is not anchored)."""
    head = seal_pending().head
    payload = {
        "anchor": 1,
        "at": now.isoformat(),
        "reason": reason,
        "seq": head.seq,
        "head": head.head,
        "legacy_seq": head.legacy_seq,
    }
    signed = {**payload, "signature": _signature(payload)}
    body = json.dumps(signed, indent=2, sort_keys=True).encode() + b"\n"
    path = _write_new(_folder(), f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{head.seq}", body)
    name = f"{FOLDER}/{path.name}"
    log.info("audit chain anchored in %s: event %d, head %s", name, head.seq, head.head)
    return Anchor(
        name, hashlib.sha256(body).hexdigest(), head.seq, head.head, now, reason, head.legacy_seq
    )


def read_anchors() -> tuple[list[Anchor], list[Break]]:
    """Every anchor file whose signature holds, and a break for each that does not."""
    anchors, breaks = [], []
    folder = _folder()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        name = f"{FOLDER}/{path.name}"
        try:
            body = path.read_bytes()
            signed = json.loads(body)
            payload = {key: signed[key] for key in FIELDS}
            anchor = Anchor(
                name,
                hashlib.sha256(body).hexdigest(),
                int(payload["seq"]),
                str(payload["head"]),
                datetime.fromisoformat(payload["at"]),
                str(payload["reason"]),
                int(payload["legacy_seq"]),
            )
            signature = str(signed["signature"])
        except (OSError, ValueError, KeyError, TypeError):
            breaks.append(Break(name, "is not an anchor file"))
            continue
        if not same(signature, _signature(payload)):
            breaks.append(Break(name, "its signature does not verify: forged, or another key"))
            continue
        anchors.append(anchor)
    return anchors, breaks


def check_anchor(anchor: Anchor, hashes_at: dict[int, str], legacy_seq: int) -> Break | None:
    """Whether the chain still holds the anchored head at the anchored place."""
    if anchor.legacy_seq != legacy_seq:
        return Break(
            anchor.path,
            f"the unkeyed chain ended at event {anchor.legacy_seq}; "
            f"the database now says {legacy_seq}",
        )
    if anchor.seq == 0:
        return None
    if anchor.seq not in hashes_at:
        return Break(anchor.path, f"the chain has no event {anchor.seq}: cut short after this")
    if not same(hashes_at[anchor.seq], anchor.head):
        return Break(anchor.path, f"event {anchor.seq} is not the one anchored: rewritten")
    return None


def anchored_today(now: datetime) -> bool:
    """Whether the daily anchor of now's date (UTC) is written."""
    anchors, _ = read_anchors()
    today = now.astimezone(UTC).date()
    return any(a.reason == DAILY and a.at.astimezone(UTC).date() == today for a in anchors)

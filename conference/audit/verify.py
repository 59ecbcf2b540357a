"""`flask audit verify`: the whole trail checked against the key and the anchors."""

from dataclasses import dataclass

from conference.audit.anchor import check_anchor, read_anchors
from conference.audit.chain import Break, Walk, seal_pending, walk_chain


@dataclass(frozen=True)
class Verified:
    walk: Walk
    anchors: int
    breaks: list[Break]


def verify_trail() -> Verified:
    """Seal the pending events, then check every event's MAC, the chain and its head, and every
    anchor file (its signature, and that the chain still has the anchored head). Events the
    sealing step refused show in the walk as rows that do not match their MAC."""
    seal_pending()
    anchors, anchor_breaks = read_anchors()
    walk = walk_chain({anchor.seq for anchor in anchors})
    for anchor in anchors:
        found = check_anchor(anchor, walk.hashes_at, walk.legacy_seq)
        if found is not None:
            anchor_breaks.append(found)
    return Verified(walk, len(anchors), walk.breaks + anchor_breaks)

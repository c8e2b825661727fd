"""The bookkeeping of a kiosk's hash chain, as pure functions over sequence numbers and hashes:
which links hold, which gaps open or close, which links break. `collector.ingest` reads the
stored neighbours, calls these, and writes what they return.

Tamper evidence. Each response's hash covers its content and the previous response's hash from the
same kiosk (`shared.chain`). What the collector can then show:

* A stored response cannot be changed unnoticed: the hash is checked on arrival (`bad-hash`), every
  hashed field is stored as sent, and `Response.as_sent()` reproduces the hash at any later time.
* A response deleted at the kiosk before it was sent leaves a hole in kiosk_seq: recorded as a gap.
  Hiding the hole means renumbering and re-hashing every later response, which no longer matches
  what the collector already holds (`seq-taken`, recorded as a fork, or a broken link).
* A response whose prev_hash is not the stored hash of the kiosk's previous response is kept (it is
  still a rating somebody gave) but marked `chain_ok = false` and listed as a broken link: the
  kiosk's history was altered between the two. A gap fills itself when the late response arrives,
  and its links on both sides are checked then.

What it cannot show: someone holding a kiosk's database and token can forge a whole consistent
chain of fake ratings before they are sent (the chain has no key the kiosk's operator lacks), and a
database administrator at the collector can rewrite rows and hashes together. Stuffing is caught
by other means (flags such as "suspect-burst", reports); the newest responses removed before upload
show only as the difference between the heartbeat's last_seq and the highest seq received.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

from shared.chain import GENESIS


class Link(Protocol):
    """What the bookkeeping needs of a response: its place in the chain and its two hashes."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...

    @property
    def prev_hash(self) -> str: ...


#: A stored response next to new ones, by kiosk_seq: (hash, prev_hash).
Neighbours = Mapping[int, tuple[str, str]]


def neighbour_seqs(seqs: Collection[int]) -> set[int]:
    """The sequence numbers just before and after the new ones that are not new themselves: the
    stored responses whose hashes decide the new links."""
    return {s + d for s in seqs for d in (-1, 1)} - set(seqs) - {0}


def links(by_seq: Mapping[int, Link], neighbours: Neighbours) -> dict[int, bool | None]:
    """Whether each new response's prev_hash is the hash of its predecessor, by kiosk_seq: the
    first must point at the genesis hash; None when the predecessor is not known yet (a gap)."""

    def link_ok(v: Link) -> bool | None:
        if v.seq == 1:
            return v.prev_hash == GENESIS
        if v.seq - 1 in by_seq:
            return v.prev_hash == by_seq[v.seq - 1].hash
        if v.seq - 1 in neighbours:
            return v.prev_hash == neighbours[v.seq - 1][0]
        return None

    return {v.seq: link_ok(v) for v in by_seq.values()}


def unsure(inserted: Collection[int], planned: Collection[int]) -> list[int]:
    """The inserted responses whose link was checked against a planned predecessor that was not
    stored after all (a concurrent upload took its id or seq): their link is unknown again."""
    return [s for s in inserted if s - 1 in planned and s - 1 not in inserted]


def relinks(inserted: Mapping[int, str], neighbours: Neighbours) -> dict[int, bool]:
    """The links of stored responses that were waiting for one just inserted (given as kiosk_seq
    -> hash): kiosk_seq of the later one -> whether its prev_hash matches."""
    return {s + 1: neighbours[s + 1][1] == h for s, h in inserted.items() if s + 1 in neighbours}


def broken_links(
    broken: Iterable[int],
    chain_ok: Mapping[int, bool | None],
    inserted: Iterable[int],
    relinked: Mapping[int, bool],
) -> set[int]:
    """The kiosk's broken links after an insert: those before, the new responses whose link
    failed, and the waiting responses whose link failed now."""
    return (
        set(broken)
        | {s for s in inserted if chain_ok[s] is False}
        | {s for s, ok in relinked.items() if not ok}
    )


def record_seq(gaps: list[list[int]], max_seq: int, seq: int) -> int:
    """Note that `seq` arrived: open a gap below it if it jumps ahead, or close the part of a gap it
    fills. Changes `gaps` (sorted inclusive ranges) in place; returns the new highest seq."""
    if seq > max_seq:
        if seq > max_seq + 1:
            gaps.append([max_seq + 1, seq - 1])
        return seq
    for at, (first, last) in enumerate(gaps):
        if first <= seq <= last:
            gaps[at : at + 1] = [r for r in ([first, seq - 1], [seq + 1, last]) if r[0] <= r[1]]
            break
    return max_seq


def record_arrivals(
    gaps: Iterable[Iterable[int]], max_seq: int, seqs: Iterable[int]
) -> tuple[list[list[int]], int]:
    """The gaps and highest seq after `seqs` arrived (a new list; `gaps` is left as it was)."""
    after = [list(gap) for gap in gaps]
    for seq in sorted(seqs):
        max_seq = record_seq(after, max_seq, seq)
    return after, max_seq

"""Responses by language and listen use, per unit: how many kiosk responses of the period were
heard in each language (the voice pack a citizen chose on the welcome screen, Vietnamese unless
chosen) and how many of them pressed "listen", so a province sees whether the citizens of its
minority languages now rate. Read from the period's group counts (dimensions VOICE and LISTENED
of `collector.counts.refresh`), like every other breakdown: official responses only unless the
report includes the others, units that ceased counted in the units that follow them."""

from __future__ import annotations

from collector.counts.refresh import LISTENED, VOICE
from collector.reports import model
from collector.reports.data import ReportData


def voice_use(data: ReportData) -> tuple[model.VoiceUse, ...]:
    """The kiosk responses per unit and language (units by code, languages by code with the
    unrecorded last)."""
    groups = data.groups
    if groups.empty:
        return ()
    rows = groups[groups["dimension"].isin((VOICE, LISTENED))]
    if rows.empty:
        return ()
    sums = rows.groupby(["unit_id", "value", "dimension"])["responses"].sum()
    code_of = dict(zip(data.units["id"].astype(int), data.units["code"], strict=True))
    name_of = dict(zip(data.units["id"].astype(int), data.units["name"], strict=True))
    found = [
        model.VoiceUse(
            unit_code=str(code_of.get(int(unit), unit)),
            unit_name=str(name_of.get(int(unit), "")),
            voice=str(value) or None,
            responses=int(n),
            listened=int(sums.get((unit, value, LISTENED), 0)),
        )
        for (unit, value, dimension), n in sums.items()
        if dimension == VOICE
    ]
    return tuple(sorted(found, key=lambda v: (v.unit_code, v.voice is None, v.voice or "")))

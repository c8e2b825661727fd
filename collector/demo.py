"""Sample data for the demo: a province with communes, one-stop centres, a health station and a
school; demo accounts; and twelve weeks of ratings of all three kinds, stored through the same
ingest path as a kiosk's uploads (hash chains included).

For the demo only: the accounts have a fixed, published password.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.service import add_user, find_user
from collector.fleet.kiosks import register_kiosk
from collector.ingest import ingest_batch
from collector.models import Kiosk, Unit
from collector.periods import ZONE, Period, local_today
from collector.procedures.service import save_procedure
from collector.units import add_unit
from shared import questionnaires
from shared.chain import GENESIS, response_hash
from shared.db import uuid7
from shared.responses import SUSPECT_FLAG

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo's published password
DEMO_ADMIN = "admin@demo.local"
DEMO_MANAGER = "manager@demo.local"
#: A counter officer of Hoàn Kiếm's one-stop centre: issues and prints receipt slips only.
DEMO_COUNTER = "quay@demo.local"
#: The procedure list counter officers pick from (illustrative codes and names, as the demo's
#: receipts use them).
PROCEDURES = [
    ("1.004227", "Chứng thực bản sao từ bản chính", "admin"),
    ("2.000889", "Đăng ký khai sinh", "admin"),
    ("1.001612", "Cấp giấy xác nhận tình trạng hôn nhân", "admin"),
]

#: code, name, kind, parent, questionnaire kind (None: no ratings), base satisfied share
UNITS: list[tuple[str, str, str, str | None, str | None, float]] = [
    ("01", "Thành phố Hà Nội", "province", None, None, 0.0),
    ("00001", "Phường Hoàn Kiếm", "commune", "01", None, 0.0),
    ("00001.MC", "Bộ phận Một cửa phường Hoàn Kiếm", "one-stop-centre", "00001", "admin", 0.93),
    ("00001.TYT", "Trạm Y tế phường Hoàn Kiếm", "health-facility", "00001", "health", 0.86),
    ("00007", "Phường Tây Hồ", "commune", "01", None, 0.0),
    ("00007.MC", "Bộ phận Một cửa phường Tây Hồ", "one-stop-centre", "00007", "admin", 0.84),
    ("00007.THCS", "Trường THCS Tây Hồ", "school", "00007", "education", 0.95),
    ("00010", "Xã Sóc Sơn", "commune", "01", None, 0.0),
    ("00010.MC", "Bộ phận Một cửa xã Sóc Sơn", "one-stop-centre", "00010", "admin", 0.90),
]

COMMENTS = [
    "Cán bộ hướng dẫn tận tình, cảm ơn.",
    "Phải chờ hơi lâu vào buổi sáng.",
    "Nên có thêm ghế ngồi chờ.",
    "Thủ tục nhanh gọn.",
    "Khó tìm quầy tiếp nhận, cần biển chỉ dẫn rõ hơn.",
    "Nhân viên nhiệt tình.",
    "Phí niêm yết chưa rõ ràng.",
]


@dataclass
class ChainedKiosk:
    """Makes a kiosk's responses in sequence with correct hashes."""

    kiosk: Kiosk
    unit: str
    seq: int = 0
    prev_hash: str = GENESIS
    made: list[dict[str, Any]] = field(default_factory=list)

    def response(self, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        item = {
            "id": str(uuid7()),
            "kiosk_seq": self.seq,
            "unit": self.unit,
            "counter": "1",
            "channel": "kiosk",
            "complete": True,
            "reasons": [],
            "comment": None,
            "flags": [],
            **fields,
            "prev_hash": self.prev_hash,
        }
        item["hash"] = response_hash(item, self.prev_hash)
        self.prev_hash = item["hash"]
        self.made.append(item)
        return item


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(ZONE).isoformat(timespec="seconds")


def _value(rng: random.Random, p_satisfied: float) -> int:
    if rng.random() < 0.04:
        return 0
    if rng.random() < p_satisfied:
        return 5 if rng.random() < 0.55 else 4
    return rng.choice((3, 3, 3, 2, 2, 1))


def _ratings(
    rng: random.Random,
    kiosk: ChainedKiosk,
    kind: str,
    base: float,
    week: Period,
    index: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    version = "2026.1" if kiosk.unit == "00001.MC" else None
    q = questionnaires.get(kind, version) if version else questionnaires.current(kind)
    # Some weeks are better than others; Tây Hồ's one-stop centre slips in the latest weeks.
    drift = rng.gauss(0, 0.02) - (0.06 if kiosk.unit == "00007.MC" and index >= 10 else 0)
    factor_bias = {f.code: rng.gauss(0, 0.04) for f in q.factors}
    count = rng.randint(35, 70)
    out = []
    for _ in range(count):
        day = rng.choices(range(7), weights=(10, 9, 9, 9, 8, 3, 0.5))[0]
        minute = rng.randint(7 * 60 + 30, 17 * 60)
        local = dt.datetime.combine(
            week.start + dt.timedelta(days=day), dt.time(minute // 60, minute % 60), ZONE
        ) + dt.timedelta(seconds=rng.randint(0, 59))
        if local > now:
            continue
        answers = {}
        # People differ: one who is pleased tends to be pleased with everything, so a person's
        # answers go together (the report's intervals take that into account).
        person = rng.gauss(0, 0.06)
        for question in q.questions:
            p = base + drift + factor_bias.get(question.factor, 0) + person
            if rng.random() < 0.03 and question is not q.questions[0]:
                continue  # a question left unanswered
            answers[question.code] = _value(rng, min(0.99, max(0.3, p)))
        low = [c for c, v in answers.items() if v in (1, 2)]
        reasons = []
        if low:
            reasons = rng.sample(
                ["waiting", "procedure", "attitude", "fees", "facilities", "guidance"],
                k=rng.randint(1, 2),
            )
        out.append(
            {
                "questionnaire": kind,
                "questionnaire_version": q.version,
                "counter": rng.choice(("1", "2", "3")) if kind == "admin" else "1",
                # Receipt and poster ratings come from the real phone survey (seed_receipts).
                "channel": "kiosk",
                "started_at": rfc3339(local - dt.timedelta(seconds=rng.randint(15, 90))),
                "submitted_at": rfc3339(local),
                "complete": rng.random() > 0.05,
                "answers": answers,
                "reasons": reasons,
                "comment": rng.choice(COMMENTS) if rng.random() < 0.08 else None,
                "flags": [],
                "_at": local,
            }
        )
    if kind == "admin" and index == 9 and kiosk.unit == "00010.MC":
        # A burst of perfect scores in a minute: the kiosk flags them, the reports leave them out.
        at = dt.datetime.combine(week.start + dt.timedelta(days=2), dt.time(10, 0), ZONE)
        for i in range(12):
            out.append(
                {
                    "questionnaire": kind,
                    "questionnaire_version": q.version,
                    "counter": "2",
                    "channel": "kiosk",
                    "started_at": rfc3339(at + dt.timedelta(seconds=4 * i)),
                    "submitted_at": rfc3339(at + dt.timedelta(seconds=4 * i + 2)),
                    "complete": True,
                    "answers": {question.code: 5 for question in q.questions},
                    "reasons": [],
                    "comment": None,
                    "flags": [SUSPECT_FLAG],
                    "_at": at + dt.timedelta(seconds=4 * i + 2),
                }
            )
    return out


def seed_demo(session: Session, *, weeks: int = 12, seed: int = 0) -> None:
    """Add the demo units, accounts and ratings (flushes; the caller commits). Safe to run twice:
    a second run adds nothing."""
    if session.scalar(sa.select(Unit.id).where(Unit.code == UNITS[2][0])) is not None:
        return
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    for code, name, kind, parent, _, _ in UNITS:
        if session.scalar(sa.select(Unit.id).where(Unit.code == code)) is None:
            add_unit(session, code, name, kind, parent)
    if find_user(session, DEMO_ADMIN) is None:
        add_user(session, DEMO_ADMIN, DEMO_PASSWORD, "admin", "01")
    if find_user(session, DEMO_MANAGER) is None:
        add_user(session, DEMO_MANAGER, DEMO_PASSWORD, "manager", "00007")
    if find_user(session, DEMO_COUNTER) is None:
        add_user(session, DEMO_COUNTER, DEMO_PASSWORD, "counter", "00001.MC")
    for code, name, kind in PROCEDURES:
        save_procedure(session, code, name, kind)
    now = dt.datetime.now(ZONE)
    this_week = Period.containing("week", local_today())
    for code, _, _, _, kind, base in UNITS:
        if kind is None:
            continue
        kiosk, _token = register_kiosk(session, code, label="Demo")
        chained = ChainedKiosk(kiosk, code)
        items = []
        for index, week in enumerate(this_week.last(weeks)):
            items.extend(_ratings(rng, chained, kind, base, week, index, now))
        items.sort(key=lambda item: item["_at"])
        made = []
        for item in items:
            item.pop("_at")
            made.append(chained.response(**item))
        for start in range(0, len(made), 400):
            results = ingest_batch(
                session, kiosk, {"responses": made[start : start + 400]}, dt.datetime.now(dt.UTC)
            )
            bad = [r for r in results if r.status != "accepted"]
            if bad:
                raise RuntimeError(f"demo ratings rejected: {bad[:3]}")
    session.flush()


#: Sample dossier codes per one-stop centre (Circular 01/2018 art. 19 shape).
RECEIPTS_PER_UNIT = 12


def _phone_answers(client, path: str, rng: random.Random, p_satisfied: float, finish: bool) -> bool:
    """Answer a receipt's survey through the phone pages as a browser without JavaScript would;
    stop half-way unless `finish`. Returns whether it was sent."""
    import re

    screens_done = 0
    for _ in range(20):
        html = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        action = re.search(r'<form method="post" action="([^"]+)"', html)
        if token is None or action is None:
            return False
        form = {"csrf_token": token.group(1), "next": "1"}
        if action.group(1).endswith("/send"):
            if rng.random() < 0.15:
                form["comment"] = rng.choice(COMMENTS)
            return client.post(action.group(1), data=form).status_code == 303
        if not finish and screens_done >= 2:
            return False
        for code in dict.fromkeys(re.findall(r'type="radio" name="([A-Z][A-Z0-9_]*)"', html)):
            form[code] = str(_value(rng, p_satisfied))
        client.post(action.group(1), data=form)
        screens_done += 1
    return False


#: Dossiers per one-stop centre that the one-stop software settles without a receipt.
UNRATED_PER_UNIT = 6


def _dossier_events(
    rng: random.Random, code: str, links: list[str], today: dt.date
) -> list[dict[str, Any]]:
    """What the demo's one-stop software reports of a centre's dossiers today: each received two
    hours ago; most settled on time, some late, one refused, some not settled yet; and a few
    dossiers without a receipt, settled (by dossier code: the unrated ones the national index
    counts as satisfied)."""
    now = dt.datetime.now(ZONE).replace(microsecond=0)
    received, settled = (now - dt.timedelta(hours=2)).isoformat(), (now - dt.timedelta(hours=1))
    events: list[dict[str, Any]] = []
    dossiers = [{"receipt": url.rsplit("/", 1)[1]} for url in links]
    dossiers += [
        {"dossier": f"000.00.{code[:5]}.H40-{today:%y%m%d}-{n:04d}", "unit": code}
        for n in range(101, 101 + UNRATED_PER_UNIT)
    ]
    for i, dossier in enumerate(dossiers):
        key = f"demo-{code}-{i}"
        events.append({"id": f"{key}-r", "kind": "received", "at": received, **dossier})
        if i % 6 == 3:  # not settled yet
            continue
        if i == 2:
            events.append(
                {"id": f"{key}-x", "kind": "refused", "at": settled.isoformat(), **dossier}
            )
            continue
        late = i % 6 == 1 or rng.random() < 0.1
        due = today - dt.timedelta(days=2) if late else today
        events.append(
            {
                "id": f"{key}-s",
                "kind": "settled",
                "at": settled.isoformat(),
                "due_date": due.isoformat(),
                **dossier,
            }
        )
    return events


def seed_receipts(app, *, seed: int = 1) -> str | None:
    """Issue receipt codes for sample dossiers of each one-stop centre and answer most of them
    through the real phone survey (some are left half answered, some never opened), plus a few
    walk-in ratings from a counter poster; the one-stop software then reports what became of
    the dossiers through the status events API (some late, one refused, some pending). Returns
    the link of one unanswered receipt."""
    from collector.db import get_session
    from collector.receipts.integrations import create_integration
    from collector.receipts.service import ReceiptRequest, issue_receipt
    from collector.receipts.settings import app_key, public_url

    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    client = app.test_client()
    today = local_today()
    spare = None
    with app.app_context():
        session = get_session()
        _, software = create_integration(session, UNITS[0][0], "Phần mềm một cửa (demo)")
        session.commit()
        for code, _, _, _, qkind, base in UNITS:
            if qkind != "admin":
                continue
            links = []
            for n in range(1, RECEIPTS_PER_UNIT + 1):
                issued = issue_receipt(
                    session,
                    ReceiptRequest(
                        dossier=f"000.00.{code[:5]}.H40-{today:%y%m%d}-{n:04d}",
                        unit=code,
                        procedure=rng.choice(("1.004227", "2.000889", "1.001612")),
                        officer=f"CB{rng.randint(1, 4):02d}",
                    ),
                    key=app_key(app),
                    public_url=public_url(app),
                    ttl_days=app.config["RECEIPT_TTL_DAYS"],
                )
                links.append(issued.url)
            session.commit()
            for i, url in enumerate(links):
                path = "/r/" + url.rsplit("/", 1)[1]
                if i % 6 == 5:  # never opened
                    spare = spare or url
                    continue
                # Ratings in private are somewhat lower than at the counter, and lower still
                # for a dossier settled late.
                lower = 0.25 if i % 6 == 1 else 0.05
                _phone_answers(client, path, rng, base - lower, finish=i % 6 != 4)
            client.post(
                "/api/v1/dossier-events",
                json={"events": _dossier_events(rng, code, links, today)},
                headers={"Authorization": f"Bearer {software}"},
            )
            poster = client.get(f"/p/{code}").get_data(as_text=True)
            import re

            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', poster)
            codes = dict.fromkeys(re.findall(r'type="radio" name="([A-Z][A-Z0-9_]*)"', poster))
            # The demo's walk-ins are sent the moment their form is served: not "too fast" here.
            min_seconds, app.config["POSTER_MIN_SECONDS"] = app.config["POSTER_MIN_SECONDS"], 0
            try:
                for phone in range(6):
                    form = {"csrf_token": token.group(1) if token else ""}
                    form.update({c: str(_value(rng, base)) for c in codes})
                    client.post(
                        f"/p/{code}", data=form, environ_base={"REMOTE_ADDR": f"10.0.0.{phone}"}
                    )
            finally:
                app.config["POSTER_MIN_SECONDS"] = min_seconds
    return spare

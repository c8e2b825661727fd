"""Personal data in a citizen's free text, found and replaced by a marker: the one redaction of
every channel (kiosk, phone survey, poster, another vendor's kiosk through the ingest API).

What is found:

* phone numbers: Vietnamese mobile (0 + 9 digits) and landline (02x + 8 digits) numbers, with
  +84 / 84 / 0084 / (+84), written with any separators (spaces, dots, dashes, slashes,
  underscores, commas between digits), in any decimal digits (full-width too), glued to a word
  ("sdt0912345678") or spelled digit by digit;
* identity numbers: CMND (9 digits), CCCD (12 digits, any grouping), and after a word naming a
  document (CMND, CCCD, hộ chiếu, số tài khoản, mã số thuế...) any number of 6 digits or more;
  passports (a letter and 7 digits) and health-insurance cards (2 letters, 13 digits);
* bank accounts and cards: any other number of 9 to 19 digits;
* e-mail addresses, also written "an [at] gmail.com", "an @ gmail . com", "an a còng gmail chấm
  com", and links to a person's social profile (facebook.com/..., zalo.me/...);
* names: after "tôi là", "tên tôi là", "tên là", "em là", "họ tên:" and the like, after a form of
  address ("chị Lan", "anh Tuấn"), and any full name of three or more capitalised words that
  starts with a Vietnamese family name (not a street, school or place: "đường Trần Hưng Đạo");
* street addresses: after "địa chỉ", "nhà tôi ở", a house number before a street ("số 12 ngõ 34",
  "số 7 Trần Hưng Đạo"), an alley and its number ("hẻm 123/4");
* dates of birth: a date or year after "sinh", "ngày sinh", "năm sinh", "DOB"; any full date
  before 2013 (no dossier is that old; a birth date is);
* vehicle plates (29A-123.45, 59X1 123.45, 30E-1234).

Ordinary numbers stay: rooms, counters, dates, times, prices (a number followed by a currency),
procedure and dossier codes (numbers glued to a code such as "H40-260302-0001" or
"1.004227.000.00.00.H40"), lists of years, legal references ("118/2025/NĐ-CP").

How: the text is matched in a folded copy (NFKC, so that full-width letters and digits are
ASCII; every decimal digit as 0-9; Vietnamese letters without their marks, "đ" as "d"; dashes as
"-"), each folded character remembering the position it came from, so that the original text is
kept everywhere but in the spans replaced. Plain functions of `str`: no Flask, no database.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

PHONE_MARK = "[số điện thoại]"
EMAIL_MARK = "[email]"
ID_MARK = "[số giấy tờ]"
ACCOUNT_MARK = "[số tài khoản]"
NAME_MARK = "[tên]"
ADDRESS_MARK = "[địa chỉ]"
BIRTH_MARK = "[ngày sinh]"
PLATE_MARK = "[biển số xe]"
LINK_MARK = "[liên kết]"

MARKS = {
    "phone": PHONE_MARK,
    "email": EMAIL_MARK,
    "id": ID_MARK,
    "account": ACCOUNT_MARK,
    "name": NAME_MARK,
    "address": ADDRESS_MARK,
    "birth": BIRTH_MARK,
    "plate": PLATE_MARK,
    "link": LINK_MARK,
}


class Span(NamedTuple):
    """Personal data at text[start:end] of the original text."""

    start: int
    end: int
    kind: str


# -- folding -------------------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣"), "-")


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """What one character is matched as: NFKC, decimal digits as ASCII, no Vietnamese marks."""
    if ch.isascii():
        return ch
    out = []
    for c in unicodedata.normalize("NFKC", ch).translate(_DASHES):
        if c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
            continue
        if c in "đĐ":
            out.append("d" if c == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", c)
        kept = "".join(b for b in base if not unicodedata.combining(b))
        out.append(kept)
    return "".join(out)


def fold(text: str) -> tuple[str, Sequence[int]]:
    """The folded text, and for each of its characters the index in `text` it comes from."""
    parts = list(map(_fold_char, text))
    folded = "".join(parts)
    if len(folded) == len(text):
        return folded, range(len(text))  # the usual case: one character for one
    origin: list[int] = []
    for i, part in enumerate(parts):
        origin.extend([i] * len(part))
    return folded, origin


# -- words the rules look for (folded: no marks, lower case) -------------------------------------

#: The commonest Vietnamese family names (folded), which start a full name.
SURNAMES = frozenset(
    """nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh doan trinh
    truong lam luong ha cao quach luu kieu chu vuong thai tang lai thach trieu mac tieu khuc
    phung giang au ton thieu hua lo nong quan an bach dao diep ong tong""".split()
)
#: Words before a capitalised name that make it a place, a street or an institution.
_PLACE_WORDS = (
    r"duong|pho|ngo|ngach|hem|kiet|quan|phuong|xa|huyen|tinh|thanh pho|tp|thi xa|thi tran|"
    r"truong|benh vien|bv|cong vien|cau|cho|ben xe|thpt|thcs|th|mn|dh|cd|dai hoc|khu|tuyen|"
    r"le|lang|den|chua|nha van hoa|ubnd|so|tang|quang truong|khu pho|thon|xom|ap|to"
)
_PLACE_SET = frozenset(w for w in _PLACE_WORDS.split("|") if " " not in w)
_PLACE_BEFORE = re.compile(r"(?:^|[^a-z])(?:" + _PLACE_WORDS + r")\s*[.:]?\s*$", re.I)
#: Capitalised words that follow a form of address without being a name.
_NOT_NAMES = frozenset(
    """anh chi em co chu bac ong ba chau thay can bo cong nhan vien ubnd ub phong quay ban so
    tong toi minh cac moi nguoi dan bao ve tiep don giao duc y te trung tam hanh chinh mot cua
    ve nha nuoc""".split()
)
#: Words that end a name typed after "tên là" (any case), folded.
_STOP_WORDS = frozenset(
    """la o sinh so sdt dt nha den tu va co muon thay rat khong da di lam nop hoi cam xin a nhe
    nha thi ma nhung vi nen de can bo email mail zalo dia chi o tai hien dang nam tuoi roi duoc
    ah a oi day ne ha voi cho gui xin""".split()
)

_WORD = r"[A-Za-z]+"
_CAP = r"[A-Z][A-Za-z]*"

# -- numbers -------------------------------------------------------------------------------------

#: A run of digits with separators that may sit inside one number.
_NUMBER_RUN = re.compile(
    r"(?:\(\s*\+?\s*84\s*\)|\+\s*84|\+)?\s*\d(?:(?: {1,2}|[.\-/_,]| ?[.\-] ?| ?\(0\) ?)?\d)*"
)
_GROUP = re.compile(r"\d+")
_CURRENCY_AFTER = re.compile(
    r"\s*(?:d\b|dong|vnd|vnđ|k\b|nghin|ngan|trieu|tr\b|ty\b|usd|\$|%|dong/)", re.I
)
_ID_WORDS = (
    r"cmnd|cmt|cccd|can cuoc(?: cong dan)?|dinh danh(?: ca nhan)?|ho chieu|passport|gplx|"
    r"bang lai(?: xe)?|giay phep lai xe|mst|ma so thue|bhxh|bao hiem xa hoi|bhyt|so the"
)
_ACCOUNT_WORDS = (
    r"stk|so tk|tk|tai khoan(?: ngan hang)?|account|chuyen khoan(?: vao| toi| den)?|the atm|"
    r"the ngan hang|the tin dung"
)
_PHONE_WORDS = r"sdt|sđt|dt|dien thoai|di dong|zalo|tel|phone|so may|lien he|goi"
_KEYWORD_BEFORE = re.compile(
    r"(?:^|[^a-z])(?P<word>"
    + _ID_WORDS
    + "|"
    + _ACCOUNT_WORDS
    + "|"
    + _PHONE_WORDS
    + r")(?:\s*(?:so|la|:|-|\.|#))*\s*$",
    re.I,
)
_CODE_TOKEN_LEFT = re.compile(r"[A-Za-z]\w*[.\-/]$|\d[.\-/]$")
_CODE_TOKEN_RIGHT = re.compile(r"^[.\-/](?:[A-Za-z]+\d|\d+[A-Za-z]|\d)")


def _kind_of_keyword(word: str) -> str:
    word = word.lower()
    if re.fullmatch(_ID_WORDS, word):
        return "id"
    if re.fullmatch(_ACCOUNT_WORDS, word):
        return "account"
    return "phone"


def _phone_shaped(digits: str, plus: bool) -> bool:
    if digits.startswith("0084"):
        digits, plus = digits[2:], True
    if digits.startswith("84") and (plus or len(digits) == 11):
        rest = digits[2:]
        if rest.startswith("0"):
            rest = rest[1:]
        return (len(rest) == 9 and rest[0] in "35789") or (len(rest) == 10 and rest[0] == "2")
    if plus:
        return False
    return digits.startswith("0") and (
        (len(digits) == 10 and digits[1] in "35789") or (len(digits) == 11 and digits[1] == "2")
    )


def _years(groups: list[str]) -> bool:
    return len(groups) > 1 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)


def _money(groups: list[str], seps: list[str]) -> bool:
    """1.500.000 or 150,000,000: thousands groups ending in 000."""
    return (
        len(groups) > 1
        and 1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and groups[-1] == "000"
        and len({s for s in seps}) == 1
        and seps[0] in ".,"
    )


def _classify(
    digits: str, groups: list[str], seps: list[str], plus: bool, keyword: str | None
) -> str | None:
    """The kind of a number, or None for an ordinary one."""
    if _phone_shaped(digits, plus):
        return "phone"
    lone = [k for k, g in enumerate(groups) if len(g) == 1]
    if (
        keyword is not None
        and 6 <= len(digits) <= 19
        and not _years(groups)
        and (not lone or (lone == [len(groups) - 1] and len(groups) >= 3))
    ):
        return _kind_of_keyword(keyword)  # "chuyển khoản vào 1234-5678-9012-3"
    if any(len(g) == 1 for g in groups) and not (
        all(len(g) == 1 for g in groups) or (groups[0] == "0" and len(groups) > 1)
    ):
        return None  # "3 lần 2 quầy", "phòng 203 3": single digits join no number
    if any("/" in s for s in seps) and any(len(g) < 3 for g in groups):
        return None  # dates, legal references
    if _years(groups):
        return None
    if plus:
        return "phone" if 8 <= len(digits) <= 15 else None
    if all(len(g) == 1 for g in groups):
        return None  # spelled out, but not a phone
    if _money(groups, seps):
        return None
    if len(digits) in (9, 12):
        return "id"
    if 10 <= len(digits) <= 19:
        return "account"
    return None


def _number_spans(folded: str) -> Iterable[tuple[int, int, str]]:
    for run in _NUMBER_RUN.finditer(folded):
        text = run.group()
        if sum(c.isdigit() for c in text) < 6:
            continue
        offset = run.start()
        plus = "+" in text[: text.find(next(c for c in text if c.isdigit()))]
        groups = [(g.start() + offset, g.end() + offset, g.group()) for g in _GROUP.finditer(text)]
        # The longest window of consecutive groups that is personal data, from left to right.
        i = 0
        while i < len(groups):
            found = None
            for j in range(len(groups), i, -1):
                window = groups[i:j]
                start, end = window[0][0], window[-1][1]
                if i == 0 and plus:
                    start = offset + (len(text) - len(text.lstrip()))
                seps = [folded[a[1] : b[0]] for a, b in zip(window, window[1:], strict=False)]
                digits = "".join(g[2] for g in window)
                if len(digits) < 6:
                    break
                before, after = folded[max(0, start - 40) : start], folded[end : end + 12]
                if _CODE_TOKEN_LEFT.search(before) or _CODE_TOKEN_RIGHT.search(after):
                    continue  # part of a dossier, procedure or legal code
                if _CURRENCY_AFTER.match(after):
                    continue
                glued = bool(before) and before[-1].isalpha()
                keyword = _KEYWORD_BEFORE.search(before)
                kind = _classify(
                    digits,
                    [g[2] for g in window],
                    seps,
                    plus and i == 0,
                    keyword.group("word") if keyword else None,
                )
                if kind and glued and kind != "phone" and not keyword:
                    kind = None  # "H40-260302-0001": a code; "sdt0912345678": a phone
                if kind:
                    found = (start, end, kind, j)
                    break
            if found:
                yield found[:3]
                i = found[3]
            else:
                i += 1


# -- patterns over the folded text ---------------------------------------------------------------

_AT = r"(?:\s*(?:@|\[\s*(?:at|@)\s*\]|\(\s*(?:at|@)\s*\)|\{\s*(?:at|@)\s*\})\s*)"
_AT_WORD = r"(?:\s+(?:at|a cong|acong|a con)\s+)"
_DOT = r"(?:\s*(?:\.|\[\s*(?:dot|\.)\s*\]|\(\s*(?:dot|\.)\s*\))\s*|\s+(?:dot|cham)\s+)"
_PROVIDERS = r"(?:gmail|yahoo|hotmail|outlook|icloud|live|ymail|proton|protonmail|mail)"
_TLD = r"(?:com|vn|net|org|edu|gov|info|biz|me|io|co|uk|us)"
_LOCAL = r"[a-z0-9](?:[a-z0-9._%+\-]*[a-z0-9])?"
_EMAIL_RES = [
    # a@b.c, a @ b . c, a[at]b.com
    re.compile(
        rf"(?<![a-z0-9._%+\-]){_LOCAL}{_AT}[a-z0-9\-]+(?:{_DOT}[a-z0-9\-]+)*{_DOT}{_TLD}\b", re.I
    ),
    # a@gmail (no domain ending)
    re.compile(rf"(?<![a-z0-9._%+\-]){_LOCAL}{_AT}{_PROVIDERS}\b", re.I),
    # a at gmail dot com, a a còng gmail chấm com
    re.compile(
        rf"(?<![a-z0-9._%+\-]){_LOCAL}{_AT_WORD}[a-z0-9\-]+(?:{_DOT}[a-z0-9\-]+)*{_DOT}{_TLD}\b",
        re.I,
    ),
]
_LINK_RE = re.compile(
    r"(?:https?://)?(?:www\.|m\.)?(?:facebook\.com|fb\.com|fb\.me|zalo\.me|tiktok\.com|"
    r"instagram\.com|youtube\.com|t\.me|linkedin\.com/in|x\.com|twitter\.com)/[^\s,;]+",
    re.I,
)
_PASSPORT_RE = re.compile(r"(?<![\w])[A-Z]\s?\d{7}(?![\w])")
_INSURANCE_RE = re.compile(r"(?<![\w])[A-Z]{2}\s?\d\s?\d{2}\s?\d{10}(?![\w])")
_PLATE_RE = re.compile(
    r"(?<![\w.])\d{2}\s?-?\s?[A-Za-z]{1,2}\s?\d?\s?[-.\s]?\s?(?:\d{3}[.\s]?\d{2}|\d{4})(?![\w])"
)
_PLATE_LETTERS_OK = re.compile(r"^\d{2}\s?-?\s?[A-Za-z]{1,2}")

_DATE = (
    r"(?:\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}\s+thang\s+\d{1,2}\s+(?:nam\s+)?\d{4}|(?:19|20)\d{2})"
)
_BIRTH_RE = re.compile(
    r"(?:^|[^a-z])(?:ngay thang nam sinh|ngay sinh|nam sinh|sinh ngay|sinh nam|sinh vao|sinh|"
    r"ns|dob|d\.o\.b)\s*(?:[:\-]\s*)?(?:la\s+|vao\s+|ngay\s+|nam\s+)?(?P<date>" + _DATE + r")\b",
    re.I,
)
_OLD_DATE_RE = re.compile(
    r"(?<![\d/.\-])(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19\d{2}|200\d|201[0-2])"
    r"|(?:19\d{2}|200\d|201[0-2])-\d{1,2}-\d{1,2})(?![\d/.\-])"
)

_NAME_WORDS = rf"(?:{_WORD})(?:[ \t]+{_WORD}){{0,3}}"
_STRONG_NAME = re.compile(
    r"(?:^|[^a-z])(?:ten\s+(?:toi|em|minh|con|chau|tui)\s+la|(?:toi|em|minh|con|chau|tui)\s+ten"
    r"(?:\s+la)?|ten\s+la|ten\s+(?:toi|em|minh))\s*[:\-]?\s*(?P<name>" + _NAME_WORDS + ")",
    re.I,
)
_WEAK_NAME = re.compile(
    r"(?:^|[^a-z])(?:toi|em|minh|tui|con|chau|to)\s+la\s*[:\-]?\s*(?P<name>" + _NAME_WORDS + ")"
    r"|(?:^|[^a-z])(?:ho\s+(?:va\s+)?ten|ho\s*&\s*ten|nguoi\s+nop(?:\s+ho\s+so)?|ky\s+ten)"
    r"\s*[:\-]?\s*(?P<name2>" + _NAME_WORDS + ")",
    re.I,
)
_HONORIFIC = re.compile(
    r"(?:^|[^A-Za-z])(?:[Aa]nh|[Cc]hi|[Cc]o|[Cc]hu|[Bb]ac|[Oo]ng|[Bb]a|[Ee]m|[Cc]hau|[Tt]hay"
    r"|[Dd]i|[Cc]au|[Mm]o)\s+(?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){0,3})"
)
_FULL_NAME = re.compile(r"(?<![A-Za-z])(?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){2,4})")

_ADDRESS_WORDS = (
    r"so nha|so|nha so|sn|ngo|ngach|hem|kiet|duong|pho|thon|xom|ap|to dan pho|to|khu pho|khom|"
    r"khu|phuong|xa|quan|huyen|tinh|thanh pho|tp|p\.|q\.|ban|buon|lang"
)
_ADDRESS_START = re.compile(
    r"(?:^|[^a-z])(?:dia chi(?:\s+(?:nha|cua toi|cua em|nha toi|lien he|thuong tru|tam tru))?"
    r"(?:\s+(?:la|o|tai))?|nha\s+(?:toi|em|minh|con|chau|tui)?\s*(?:o|tai)|(?:toi|em|minh|tui)"
    r"\s+(?:o|song o|song tai)|(?:gui|giao|chuyen)\s+(?:giay to\s+|ket qua\s+|ho so\s+)?ve)"
    r"\s*[:\-]?\s*",
    re.I,
)
_HOUSE_STREET = re.compile(
    r"(?<![\w/])(?:(?:so nha|so|sn)\s*)?\d+[a-z]?(?:/\d+[a-z]?)*\s*,?\s*"
    r"(?:ngo|ngach|hem|kiet|duong|pho|d\.)\s+[\w/]",
    re.I,
)
_HOUSE_NAME = re.compile(
    r"(?:(?<![\w])(?P<prefix>so nha|so|sn)\s*|(?:^|(?<=[^a-z]))(?:nha|o|tai|ve|den)\s+)"
    r"(?P<number>\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*\s+" + _CAP + r"(?:\s+" + _CAP + "))+"
)
_ALLEY = re.compile(r"(?<![\w])(?:ngo|ngach|hem|kiet)\s+\d+(?:/\d+)*", re.I)
_CLAUSE_END = re.compile(r"[;!?\n]|\.(?=\s|$)|\s-\s")
_ADDRESS_PART = re.compile(r"\s*(?:(?i:" + _ADDRESS_WORDS + r")\b|\d|[A-Z])")
_ADDRESS_CONTENT = re.compile(r"\d|(?:^|\s)(?i:" + _ADDRESS_WORDS + r")\s+(?:\d|[A-Z])")


def _clause(folded: str, start: int, limit: int = 120) -> int:
    """Where an address that starts at `start` ends: the end of its clause, with the parts after
    a comma that still read as an address (", phường 2, quận 5")."""
    end = start
    pos = start
    while pos < len(folded) and pos - start < limit:
        stop = _CLAUSE_END.search(folded, pos)
        comma = folded.find(",", pos)
        ends = [x for x in (stop.start() if stop else -1, comma) if x >= 0]
        nxt = min(ends) if ends else len(folded)
        end = nxt
        if nxt < len(folded) and folded[nxt] == "," and _ADDRESS_PART.match(folded, nxt + 1):
            pos = nxt + 1
            continue
        break
    end = min(end, start + limit)
    while end > start and folded[end - 1] in " ,:":
        end -= 1
    return end


def _trim_name(folded: str, start: int, end: int, any_case: bool) -> tuple[int, int] | None:
    """The words of a captured name up to the first stop word; None when nothing is left, or
    (unless `any_case`) when it is neither capitalised nor led by a family name."""
    words = list(re.finditer(_WORD, folded[start:end]))
    kept = []
    for w in words:
        text = w.group()
        low = text.lower()
        if low in _STOP_WORDS and not text[0].isupper():
            break
        if not any_case and not text[0].isupper() and not (not kept and low in SURNAMES):
            if not (kept and kept[0].group().lower() in SURNAMES):
                break
        kept.append(w)
    if not kept:
        return None
    first = kept[0].group()
    if not any_case and not first[0].isupper() and first.lower() not in SURNAMES:
        return None
    if not any_case and first.lower() in _NOT_NAMES and first.lower() not in SURNAMES:
        return None
    return start + kept[0].start(), start + kept[-1].end()


def _pattern_spans(folded: str) -> Iterable[tuple[int, int, str]]:
    for pattern in _EMAIL_RES:
        for m in pattern.finditer(folded):
            yield m.start(), m.end(), "email"
    for m in _LINK_RE.finditer(folded):
        yield m.start(), m.end(), "link"
    for m in _PASSPORT_RE.finditer(folded):
        yield m.start(), m.end(), "id"
    for m in _INSURANCE_RE.finditer(folded):
        yield m.start(), m.end(), "id"
    for m in _PLATE_RE.finditer(folded):
        if not _CODE_TOKEN_LEFT.search(folded[max(0, m.start() - 20) : m.start()]):
            yield m.start(), m.end(), "plate"
    for m in _BIRTH_RE.finditer(folded):
        yield m.start("date"), m.end("date"), "birth"
    for m in _OLD_DATE_RE.finditer(folded):
        yield m.start(), m.end(), "birth"
    yield from _name_spans(folded)
    yield from _address_spans(folded)


def _name_spans(folded: str) -> Iterable[tuple[int, int, str]]:
    for m in _STRONG_NAME.finditer(folded):
        found = _trim_name(folded, m.start("name"), m.end("name"), any_case=True)
        if found:
            yield *found, "name"
    for m in _WEAK_NAME.finditer(folded):
        group = "name" if m.group("name") else "name2"
        found = _trim_name(folded, m.start(group), m.end(group), any_case=False)
        if found:
            yield *found, "name"
    for m in _HONORIFIC.finditer(folded):
        words = m.group("name").split()
        if words[0].lower() in _NOT_NAMES:
            continue
        found = _trim_name(folded, m.start("name"), m.end("name"), any_case=False)
        if found:
            yield *found, "name"
    for m in _FULL_NAME.finditer(folded):
        words = list(re.finditer(_CAP, m.group("name")))
        lows = [w.group().lower() for w in words]
        # Start at the first family name that no place word comes before ("Trường THCS Nguyễn
        # Du" is a school); three words or more from there.
        k = None
        for i, low in enumerate(lows):
            if low in _PLACE_SET:
                after = lows[i + 1] if i + 1 < len(words) else None
                if low in SURNAMES and after and not words[i + 1].group().isupper():
                    if after not in _PLACE_SET:
                        k = i  # "Trương Văn Minh", not "Trường THCS ..."
                break  # a place: what follows is its name
            if low in SURNAMES:
                k = i
                break
        if k is None or len(words) - k < 3:
            continue
        start = m.start("name") + words[k].start()
        if _PLACE_BEFORE.search(folded[max(0, start - 20) : start]):
            continue
        if " ".join(lows[k : k + 3]) == "ho chi minh":
            continue
        yield start, m.end("name"), "name"


def _address_spans(folded: str) -> Iterable[tuple[int, int, str]]:
    for m in _ADDRESS_START.finditer(folded):
        start = m.end()
        if start >= len(folded) or folded[start] == "[":
            continue
        end = _clause(folded, start)
        if end > start and _ADDRESS_CONTENT.search(folded[start:end]):
            yield start, end, "address"
    for pattern in (_HOUSE_STREET, _HOUSE_NAME, _ALLEY):
        for m in pattern.finditer(folded):
            numbered = "number" in m.groupdict() and not m.group("prefix")
            start = m.start("number") if numbered else m.start()
            while folded[start] == " " or not folded[start].isalnum():
                start += 1
            yield start, max(m.end(), _clause(folded, start)), "address"


# -- the redaction ---------------------------------------------------------------------------------

#: When spans of several kinds overlap, the merged span takes the first kind in this order.
_PRIORITY = ("email", "link", "address", "birth", "plate", "phone", "id", "account", "name")


def personal_spans(text: str) -> list[Span]:
    """The spans of `text` that hold personal data, in order, merged where they overlap."""
    if not text:
        return []
    folded, origin = fold(text)
    found = sorted([*_number_spans(folded), *_pattern_spans(folded)])
    merged: list[list] = []
    for start, end, kind in found:
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if _PRIORITY.index(kind) < _PRIORITY.index(last[2]):
                last[2] = kind
        else:
            merged.append([start, end, kind])
    return [Span(origin[s], origin[e - 1] + 1, k) for s, e, k in merged]


def redact_personal(text: str) -> str:
    """`text` with every span of personal data replaced by the marker of its kind."""
    spans = personal_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(MARKS[span.kind])
        pos = span.end
    out.append(text[pos:])
    return "".join(out)

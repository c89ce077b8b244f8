"""The body cleaner: what a scraped page, a feed or a CMS export puts in the body that is not the
story. Photo captions (a first paragraph that ends in a full date, carries a photo credit, or
describes a photo in the present tense), credits (`REUTERS/…`, `(AP Photo/…)`, "FILE PHOTO"),
datelines (`CITY (Reuters) -`, `CITY —`, `CITY, St. --`: the dateline goes, the sentence stays),
live-blog timestamps ("17.00 …"), "Read more" teasers and paragraphs the body repeats.

Every removal is kept with its reason, so an editor can see what went (`digest articles show`).
The rules are cautious: a real first sentence that merely holds a date or a place is news, and
dropping news costs more than leaving a caption in.
Pure functions over strings. May import: nothing from digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_FULL_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|\d{{4}}-\d\d-\d\d)"
# A caption ends ", in Jakarta, December 29, 2014." -- after a comma, not "on"/"by" (a lede's deadline).
_ENDS_IN_DATE = re.compile(rf",\s*(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?{_FULL_DATE}\.?\s*$")
_AGENCY = r"(?:REUTERS|Reuters|AP|AFP|EPA(?:-EFE)?|Getty Images|ANADOLU|Xinhua|dpa|PA|Bloomberg|Anadolu)"
# Photo credits: "REUTERS/Jane Doe/File Photo", "(AP Photo/Jane Doe, File)", "Photo: Jane Doe/AFP",
# "Jane Doe/Getty Images", "AFP via Getty Images", "(Photo by Jane Doe/AFP)".
_CREDIT = re.compile(
    r"\((?:AP|AFP|Reuters|EPA|Getty)\s+Photo\s*/[^)]*\)"
    r"|\((?:Photo|Image|Picture)s?\s*(?:by|:|credit:?)[^)]*\)"
    r"|\b(?:REUTERS|EPA-EFE|EPA|AFP|ANADOLU|XINHUA)\s*/\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
    r"(?:\s*/\s*(?:File|FILE)\s+(?:Photo|PHOTO))?"
    r"|\b(?:Photo(?:graph)?|Image|Picture)\s*(?:credit)?\s*:\s*[A-Z][^.]{0,60}?/\s*" + _AGENCY +
    r"|\b[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,2}\s*/\s*(?:Getty Images|AFP|AP|EPA|Reuters|Shutterstock|Alamy)\b"
    r"(?:\s+via\s+Getty\s+Images)?"
    r"|\b(?:AFP|AP|Reuters)\s+via\s+Getty\s+Images\b"
    r"|\bCredit\s*(?:\.\.\.|…|:)\s*[A-Z][^.]*"
    r"|\[(?:File|Photo|Image)?:?[^\]]{0,200}/[^\]]{2,40}\]"
    r"|\((?:[A-Z][\w.'’-]*\s+){1,3}via\s+(?:AP|AFP|Reuters)\)"
    r"|\b(?:Photo|Foto|Image|Picture)s?\s*:\s*[A-Z][^.:]{1,60}?\s/\s[A-Z][\w.&'’ -]{1,30}$"
    r"|(?<=[a-z0-9.])\s[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+){0,2}\s/\s(?:AFP|AP|EPA|Reuters|ANP|dpa|REUTERS)$")
_PHOTO_OPENING = re.compile(r"^(?:FILE PHOTO\b|File photo\b|In this (?:undated |handout )?(?:image|photo|photograph|"
                            r"picture|video|file photo|handout photo|frame grab)\b|(?:Photo|Image|Pictured|Caption)\s*:|"
                            r"This (?:image|photo|handout photo|video grab)\b|Pictured\b)", re.IGNORECASE)
# Verbs a caption uses in the present to say what a photo shows ("Authorities monitor …", "A man walks past …").
_PHOTO_VERBS = frozenset("""walk walks stand stands look looks gather gathers hold holds sit sits wait waits arrive arrives
pose poses monitor monitors carry carries attend attends watch watches inspect inspects react reacts embrace
embraces wave waves march marches ride rides search searches clear clears ride rides queue queues pass passes
stage stages gesture gestures greet greets kneel kneels mourn mourns protest protests shout shouts sort sorts
work works fly flies lie lies rest rests board boards cross crosses speak speaks shake shakes display displays
hug hugs pray prays light lights remove removes""".split())
_DETERMINERS = frozenset("the a an its their his her our this that these those of to for".split())
_PHOTO_TAIL = re.compile(rf"(?:\bon\s+(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|{_FULL_DATE}|,\s*[A-Z][\w.'’-]+"
                         r"(?:\s+[A-Z][\w.'’-]+)?)\.?\s*$")
_SPEECH = re.compile(r"\b(?:said|says|told|according to|announced|reported)\b")
# "JAKARTA (Reuters) -", "WASHINGTON (AP) —", "LONDON, Nov 12 (Reuters) -", "Paris (AFP) -", "(CNN) —".
_DATELINE_AGENCY = re.compile(
    r"^(?:[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,3}(?:,\s*[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*)?)?"
    rf"(?:,\s*{_MONTH}\s+\d{{1,2}})?\s+)?\((?:Reuters|AP|AFP|CNN|Bloomberg|dpa|AA|Al Jazeera|UPI|IANS|PTI|"
    r"Xinhua|CNA|Kyodo|ANSA|Yonhap|[A-Z][A-Za-z ]{1,20} (?:News|Press|Wire)(?: Service)?)\)\s*[-—–]{1,2}\s*")
# "SPRINGFIELD, Ill. --", "KYIV, Ukraine —", "BEIRUT —": a city in capitals, then a dash.
_DATELINE_CAPS = re.compile(r"^[A-Z][A-Z'’.-]{2,}(?:\s[A-Z][A-Z'’.-]+){0,3}(?:,\s*[A-Z][\w.'’]*(?:\s[A-Z][\w.'’]*)?)?"
                            r"\s*(?:[—–]|--?)\s+(?=[A-Z“\"‘])")
# "17.00", "17:05 GMT", "Updated at 09.12 BST": a live blog's entry time.
_TIMESTAMP = re.compile(r"^(?:(?:Updated|Posted)\s+(?:at\s+)?)?\d{1,2}[.:][0-5]\d\s*(?:(?:am|pm|a\.m\.|p\.m\.)\s*)?"
                        r"(?:(?:GMT|BST|CET|CEST|UTC|ET|EST|EDT|PT|PST|IST|JST|AEDT)\b\s*)?[:—–-]?\s*(?=[A-Z“\"‘]|$)")
_STAMP_ONLY = re.compile(r"^(?:(?:Updated|Posted|Published|Last (?:updated|modified))\b(?:[^.]|\d\.\d){0,60}|"
                         r"\d{1,2}[.:][0-5]\d\s*(?:[ap]\.?m\.?)?\s*(?:GMT|BST|CET|UTC|ET)?)$", re.IGNORECASE)
_TEASER = re.compile(r"^(?:Read more|READ MORE|Related|RELATED|See also|Also read|Read also|More on this story|"
                     r"Watch|WATCH|Listen|Click here|Sign up|Subscribe|Follow (?:our|us|the) live)\b\s*[:»›|-]?"
                     r"|(?:[.…]|\.\.\.)?\s*(?:Read|Continue reading|Read the full story|See more)\s*(?:more|More|MORE)?"
                     r"\s*[»›>…]*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Removed:
    """One piece taken out of a body: what (caption, credit, dateline, timestamp, teaser, repeat),
    its text and why."""
    kind: str
    text: str
    why: str

    def describe(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:59].rsplit(" ", 1)[0] + " …"
        return f"{self.kind} '{text}' ({self.why})"


@dataclass
class Cleaned:
    body: str
    removed: list[Removed]


def paragraphs(body: str) -> list[str]:
    """One paragraph a line, as the summarizer reads a body (blank lines only separate them)."""
    return [" ".join(p.split()) for p in re.split(r"\s*[\r\n]\s*", body or "") if p.strip()]


def caption_reason(para: str) -> str | None:
    """Why a paragraph at the top of a body is a photo caption, or None when it reads as news."""
    if _PHOTO_OPENING.match(para):
        return "describes a photo"
    if has_credit(para):
        return "carries a photo credit"
    if len(para.split()) > 60 or _SPEECH.search(para):
        return None
    if _ENDS_IN_DATE.search(para) and len(re.findall(r"[.!?](?:\s|$)", para)) <= 2:
        return "ends in a date"
    words = [w.lower() for w in re.findall(r"[\w'’-]+", para)[:8]]
    # A verb, not a noun: "Rescuers search the harbour", not "Rescuers widened the search".
    verb = any(w in _PHOTO_VERBS and words[k - 1] not in _DETERMINERS and not words[k - 1].endswith("ed")
               for k, w in enumerate(words) if k)
    if verb and _PHOTO_TAIL.search(para) and para.count(". ") == 0 \
            and not re.search(r"\b(?:was|were|had|has|have|will|would)\b", para):
        return "describes a photo in the present tense"
    return None


def strip_dateline(para: str) -> tuple[str, str | None]:
    """(paragraph without its dateline, the dateline) -- the sentence is kept."""
    for pattern in (_DATELINE_AGENCY, _DATELINE_CAPS):
        m = pattern.match(para)
        if m and len(para) > m.end() + 20:
            rest = para[m.end():]
            return rest[:1].upper() + rest[1:], m.group(0).strip()
    return para, None


# Every credit holds one of these: a cheap test first, as most paragraphs hold none.
_CREDIT_HINT = re.compile(r"/|Credit|Getty|Photo|Image|Picture|PHOTO")


def has_credit(para: str) -> bool:
    return bool(_CREDIT_HINT.search(para)) and bool(_CREDIT.search(para))


def strip_credits(para: str) -> tuple[str, list[str]]:
    if not _CREDIT_HINT.search(para):
        return para, []
    found = [m.group(0) for m in _CREDIT.finditer(para)]
    if not found:
        return para, []
    text = _CREDIT.sub("", para)
    return " ".join(text.split()).strip(" -—–|"), found


def _key(para: str) -> str:
    return re.sub(r"\W+", " ", para.lower()).strip()


def _repeats(key: str, seen: list[str]) -> bool:
    """The same paragraph again, or a cut teaser of one already read ("The first words …")."""
    for k in seen:
        if key == k or (len(key) > 40 and (k.startswith(key) or key.startswith(k) and len(k) > 40)):
            return True
    return False


def clean_body(body: str, *, title: str = "") -> Cleaned:
    """The body without what is not the story, and what was removed. Keeps the body as it was
    when cleaning would leave nothing."""
    removed: list[Removed] = []
    kept: list[str] = []
    seen: list[str] = [_key(title)] if len(_key(title)) > 40 else []
    title_key = _key(title)
    for para in paragraphs(body):
        if _STAMP_ONLY.match(para):
            removed.append(Removed("timestamp", para, "a time stamp, not text"))
            continue
        if _TEASER.search(para) and len(para.split()) <= 30:
            removed.append(Removed("teaser", para, "a link to another story"))
            continue
        if not kept:
            # A dateline opens a story, never a caption.
            why = caption_reason(para) if strip_dateline(para)[1] is None else None
        else:
            short = len(para.split()) <= 45
            why = "carries a photo credit" if short and has_credit(para) else \
                "describes a photo" if short and _PHOTO_OPENING.match(para) else None
        if why:
            removed.append(Removed("caption", para, why))
            continue
        para, credits = strip_credits(para)
        removed += [Removed("credit", c, "a photo credit") for c in credits]
        m = _TIMESTAMP.match(para)
        if m and m.end() and len(para) > m.end():
            removed.append(Removed("timestamp", m.group(0).strip(), "a live blog's entry time"))
            para = para[m.end():]
        if not kept:
            para, dateline = strip_dateline(para)
            if dateline:
                removed.append(Removed("dateline", dateline, "a dateline"))
        key = _key(para)
        if not key:
            continue
        if key == title_key or _repeats(key, seen):
            removed.append(Removed("repeat", para, "the title repeated" if key == title_key else "repeats a paragraph"))
            continue
        seen.append(key)
        kept.append(para)
    if not kept:
        return Cleaned(body, [])
    return Cleaned("\n\n".join(kept), removed)


def clean_text(text: str) -> tuple[str, list[Removed]]:
    """A standfirst cleaned as a body's first paragraph: no credit, no dateline, no teaser tail."""
    text = " ".join((text or "").split())
    text, credits = strip_credits(text)
    removed = [Removed("credit", c, "a photo credit") for c in credits]
    text, dateline = strip_dateline(text)
    if dateline:
        removed.append(Removed("dateline", dateline, "a dateline"))
    tail = re.search(r"\s*(?:…|\.\.\.)?\s*(?:Read|Continue reading)\s*(?:more|More|MORE)?\s*[»›>…]*\s*$", text)
    if tail and tail.start() > 0:
        removed.append(Removed("teaser", tail.group(0).strip(), "a link to the story"))
        text = text[:tail.start()]
    return text.strip(), removed


_ENTITY = re.compile(r"&#?\w+;|<[^>]*>")


def is_junk_title(title: str) -> bool:
    """A title made only of unexpanded entities or markup ("&foo; &bar;", "<b></b>")."""
    return bool(_ENTITY.search(title)) and not re.search(r"\w", _ENTITY.sub("", title))

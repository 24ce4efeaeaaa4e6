"""Lead officers' contact details: name, job title, organisation, e-mail, phone.

Contact details are restricted data: the structure step moves the contact section, and
any e-mail address, phone number or name beside one found elsewhere in the narrative, into
``Record.contacts`` (written to ``restricted/contacts.parquet``). What an e-mail address or
a phone number looks like is defined once, in :mod:`soa_analysis.contact_details`, for
ingest and the shared reports alike; this module parses a contact-details answer into
name, job title, organisation, e-mail and phone.
"""

from __future__ import annotations

import re

from ..contact_details import (
    ORG_WORDS,
    STRONG_ORG_WORDS,
    TITLE_WORDS,
    find_details,
    find_emails,
    find_phones,
    redact_contact_details,
)

__all__ = ["extract_contacts", "find_emails", "find_phones", "redact_contact_details", "CONTACT_KEYS"]

CONTACT_KEYS = ("raw", "name", "job_title", "organisation", "email", "phone")

_LABEL = re.compile(
    r"^\s*(?P<label>name|contact(?: name| officer)?|lead officer|job title|title|position|designation|role|post"
    r"|organi[sz]ation|agency|council|department|service|e-?mail(?: address)?|tel(?:ephone)?(?: no\.?)?|phone"
    r"|mobile|mob|direct line|address)\s*[:\-\u2013]\s*(?P<value>.*)$",
    re.IGNORECASE,
)


def _words(words, *extra: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join([*map(re.escape, words), *extra]) + r")\b", re.IGNORECASE)


_TITLE_WORDS = _words(TITLE_WORDS)
_ORG_WORDS = _words(ORG_WORDS, "fire and rescue")
_STRONG_ORG = _words(STRONG_ORG_WORDS, "fire and rescue")
_PERSON = re.compile(
    r"^(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof|Cllr|Councillor)\.?\s+)?[A-Z][a-z'\-]+(?:\s+[A-Z]\.)?(?:\s+(?:Mac|Mc|O')?[A-Z][a-z'\-]+){1,2}$"
)
_SPLIT = re.compile(
    r"\s*(?:\n|;|,(?!\d)|\s[\u2013|]\s|\s{3,}|\t"
    r"|\.\s+(?=(?:e-?mail|email address|tel(?:ephone)?|phone|mob(?:ile)?|fax|direct line|web)\b))\s*",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(r"^(?:(?:tel(?:ephone)?|phone|mob(?:ile)?|direct line)\.?\s*[:.]?|[tm]\s*:)\s*", re.IGNORECASE)
_EMAIL_LABEL = re.compile(r"^(?:e-?mail(?: address)?\s*[:.]?|e\s*:)\s*", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n\s*\n")
_SIGNOFF = re.compile(r"^(?:kind |best |warm )?(?:regards|wishes|thanks|thank you|yours sincerely|yours faithfully)\b[,.!]?\s*", re.IGNORECASE)


def _without(part: str, kind: str) -> str:
    """``part`` with its e-mail addresses (``kind="email"``) or phone numbers (``"phone"``) cut out."""
    out, pos = [], 0
    for d in find_details(part, names=False):
        if d.kind == kind:
            out.append(part[pos:d.start])
            pos = d.end
    out.append(part[pos:])
    return "".join(out)


def _classify(part: str, contact: dict) -> None:
    part = _SIGNOFF.sub("", part).strip().strip(".")
    if not part:
        return
    m = _LABEL.match(part)
    if m:
        label, value = m.group("label").lower(), m.group("value").strip()
        if not value:
            return
        if label.startswith(("e-mail", "email")):
            contact["email"] = contact["email"] or (find_emails(value) or [value])[0]
        elif label.startswith(("tel", "phone", "mob", "direct")):
            contact["phone"] = contact["phone"] or (find_phones(value) or [value])[0]
        elif label in ("job title", "title", "position", "designation", "role", "post"):
            contact["job_title"] = contact["job_title"] or value
        elif label in ("organisation", "organization", "agency", "council", "department", "service"):
            contact["organisation"] = contact["organisation"] or value
        elif label == "address":
            return
        else:  # name, contact, lead officer...
            _classify(value, contact)
        return
    emails = find_emails(part)
    if emails:
        contact["email"] = contact["email"] or emails[0]
        rest = _without(_EMAIL_LABEL.sub("", part), "email").strip(" :-()")
        if rest:
            _classify(rest, contact)
        return
    phones = find_phones(part)
    if phones:
        contact["phone"] = contact["phone"] or phones[0]
        rest = _without(_PHONE_LABEL.sub("", part), "phone").strip(" :-()")
        if rest:
            _classify(rest, contact)
        return
    strong_org = _STRONG_ORG.search(part)
    title = _TITLE_WORDS.search(part)
    if not contact["name"] and _PERSON.match(part) and not _ORG_WORDS.search(part) and not title:
        contact["name"] = part
    elif title and not strong_org:
        if not contact["job_title"]:
            contact["job_title"] = part
        elif not contact["organisation"]:
            contact["organisation"] = part
    elif strong_org and not title:
        if not contact["organisation"]:
            contact["organisation"] = part
        elif not contact["job_title"]:
            contact["job_title"] = part
    elif title or _ORG_WORDS.search(part):  # both kinds of word, or only weak organisation words
        key = "job_title" if (title and not contact["job_title"]) else "organisation"
        if not contact[key]:
            contact[key] = part


def _new(raw: str) -> dict:
    return {"raw": raw, "name": "", "job_title": "", "organisation": "", "email": "", "phone": ""}


def extract_contacts(text: str) -> list[dict]:
    """Contacts in a contact-details answer.

    Each person is a paragraph (blank-line separated) or, inside one paragraph, a run of
    parts ending at that person's e-mail address. Parts are split at line breaks, commas
    and semicolons and classified by their label ("Tel:", "Job title:"), their shape
    (an e-mail, a UK phone number, a personal name) or their words (officer, manager ...;
    council, NHS, partnership ...).

    Parameters
    ----------
    text : str
        The contact section as written.

    Returns
    -------
    list of dict
        Keys raw, name, job_title, organisation, email, phone ("" when absent). Empty
        when the text holds none of name, e-mail or phone.

    Example
    -------
    >>> c = extract_contacts("Jane Doe, Policy Officer, Fife Council, 01592 583123, jane.doe@fife.gov.uk")[0]
    >>> c["name"], c["job_title"], c["organisation"], c["phone"], c["email"]
    ('Jane Doe', 'Policy Officer', 'Fife Council', '01592 583123', 'jane.doe@fife.gov.uk')
    """
    if not text or not text.strip():
        return []
    out: list[dict] = []
    for para in _BLANK_LINE.split(text.strip()):
        parts = [p for p in _SPLIT.split(para) if p and p.strip()]
        contact = _new("")
        raw_parts: list[str] = []
        for part in parts:
            if contact["email"] and find_emails(part) and raw_parts:
                contact["raw"] = ", ".join(raw_parts)
                out.append(contact)
                contact, raw_parts = _new(""), []
            if contact["email"] and contact["name"] and _PERSON.match(part.strip()) and not _ORG_WORDS.search(part):
                # a second personal name after a complete contact starts the next contact
                contact["raw"] = ", ".join(raw_parts)
                out.append(contact)
                contact, raw_parts = _new(""), []
            raw_parts.append(part.strip())
            _classify(part, contact)
        contact["raw"] = ", ".join(raw_parts)
        out.append(contact)
    return _merge([c for c in out if c["name"] or c["email"] or c["phone"]])


def _merge(contacts: list[dict]) -> list[dict]:
    """Join a nameless fragment to the contact before it (a line broken across blocks), and
    contacts with the same name (a contact section repeated in an e-mail signature)."""
    out: list[dict] = []
    for c in contacts:
        target = None
        if out and not c["name"] and all(not out[-1][k] or not c[k] for k in ("email", "phone")):
            target = out[-1]
        elif c["name"]:
            target = next((o for o in out if o["name"] == c["name"]), None)
        if target is None:
            out.append(c)
            continue
        for key in ("job_title", "organisation", "email", "phone"):
            target[key] = target[key] or c[key]
        target["raw"] = f"{target['raw']}\n{c['raw']}"
    return out

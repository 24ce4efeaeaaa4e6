"""Redaction and escaping: every value from the data passes through one door.

All test data is fictional.
"""

from __future__ import annotations

import pytest

from soa_analysis.report.safe import EMAIL_MARK, PHONE_MARK, esc, redact


@pytest.mark.parametrize("text, expected", [
    ("Call Jo on 0131 496 0000.", f"Call Jo on {PHONE_MARK}."),
    ("Tel: 01224 496000", f"Tel: {PHONE_MARK}"),
    ("tel (0141) 496-0000 today", f"tel {PHONE_MARK} today"),
    ("mobile 07700 900123", f"mobile {PHONE_MARK}"),
    ("+44 (0)131 496 0000", PHONE_MARK),
    ("+44 131 496 0000", PHONE_MARK),
    ("freephone 0800 123 456", f"freephone {PHONE_MARK}"),
    ("jo.bloggs@fife.gov.uk", EMAIL_MARK),
    ("write to J.O'Neil+soa@example.org.", f"write to {EMAIL_MARK}."),
    ("jo [at] fife [dot] gov [dot] uk", EMAIL_MARK),
    # figures, years, money and dates are not phone numbers
    ("between 2012 and 2013", "between 2012 and 2013"),
    ("spent £1,234,567 on 15000 places", "spent £1,234,567 on 15000 places"),
    ("down 0.5% since 01/02/2013", "down 0.5% since 01/02/2013"),
    ("ref 2010 12345 678", "ref 2010 12345 678"),
    ("we met at the hall", "we met at the hall"),
])
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
    ("a & b 'c'", "a &amp; b &#x27;c&#x27;"),
    (None, ""),
    (float("nan"), ""),
    (3, "3"),
    ("mail x@y.org", f"mail {EMAIL_MARK}"),
])
def test_esc(value, expected):
    assert esc(value) == expected


@pytest.mark.parametrize("name, expected", [("Perth and Kinross", "perth-and-kinross"),
                                            ("Na h-Eileanan Siar", "na-h-eileanan-siar"),
                                            ("City of Edinburgh", "city-of-edinburgh"), ("", "none")])
def test_slug_names_council_pages(name, expected):
    from soa_analysis.report.safe import slug

    assert slug(name) == expected

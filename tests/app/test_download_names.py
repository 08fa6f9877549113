"""Content-Disposition of every download (registry.files.content_disposition): RFC 6266 with RFC 5987."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from registry.applications.attachments import safe_filename
from registry.files import content_disposition


@pytest.mark.parametrize("name, header", [
    ("protocole.pdf", 'attachment; filename="protocole.pdf"'),
    ("Plan d’œuvre 計画.pdf", "attachment; filename=\"Plan d'oeuvre.pdf\"; "
                             "filename*=UTF-8''Plan%20d%E2%80%99%C5%93uvre%20%E8%A8%88%E7%94%BB.pdf"),
    ("計画.pdf", "attachment; filename=\"document.pdf\"; filename*=UTF-8''%E8%A8%88%E7%94%BB.pdf"),
    ("rapport 📊.pdf", "attachment; filename=\"rapport.pdf\"; filename*=UTF-8''rapport%20%F0%9F%93%8A.pdf"),
    ('a"b\\c.pdf', "attachment; filename=\"abc.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"),
    ("Étude\r\nX-Injected: 1.pdf", "attachment; filename=\"EtudeX-Injected: 1.pdf\"; "
                                   "filename*=UTF-8''%C3%89tudeX-Injected%3A%201.pdf"),
])
def test_content_disposition(name, header):
    assert content_disposition(name) == header
    assert header.isascii() and "\r" not in header and "\n" not in header
    if "filename*=" in header:
        assert unquote(header.split("filename*=UTF-8''")[1]) == "".join(c for c in name if c not in "\r\n")


def test_stored_names_keep_what_was_typed_but_not_paths_or_controls():
    assert safe_filename("Plan d’œuvre 計画.pdf") == "Plan d’œuvre 計画.pdf"
    assert safe_filename("C:\\Users\\camille\\rapport 📊.pdf") == "rapport 📊.pdf"
    assert safe_filename("../../etc/passwd") == "passwd.pdf"
    assert safe_filename("fac\u202etxt.pdf") == "factxt.pdf"  # no right-to-left override
    assert safe_filename('a<b>"c".pdf') == "a_b_c_.pdf"

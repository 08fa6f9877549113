from __future__ import annotations

import pytest
from licence_dressings import DRESSINGS, GPL3_NOTICE, NON_LICENCES

from registry.licences import NOASSERTION, detect_path, detect_text
from registry.licences.references import raw_entries

TEXTS = {e["key"]: e["text"] for e in raw_entries() if e["kind"] == "text"}

# Every licence of the authorised list, in each language we ship.
AUTHORISED_TEXTS = [
    ("apache-2.0", "Apache-2.0", "en"),
    ("bsd-simplified", "BSD-2-Clause", "en"),
    ("bsd-new", "BSD-3-Clause", "en"),
    ("mit", "MIT", "en"),
    ("cecill-b", "CECILL-B", "fr"),
    ("cecill-b-en", "CECILL-B", "en"),
    ("cecill-c", "CECILL-C", "fr"),
    ("cecill-c-en", "CECILL-C", "en"),
    ("cecill-2.1", "CECILL-2.1", "en"),
    ("cecill-2.1-fr", "CECILL-2.1", "fr"),
    ("gpl-3.0", "GPL-3.0-only", "en"),
    ("lgpl-3.0", "LGPL-3.0-only", "en"),
    ("agpl-3.0", "AGPL-3.0-only", "en"),
    ("mpl-2.0", "MPL-2.0", "en"),
    ("epl-2.0", "EPL-2.0", "en"),
    ("eupl-1.2", "EUPL-1.2", "en"),
    ("etalab-2.0", "etalab-2.0", "fr"),
    ("etalab-2.0-en", "etalab-2.0", "en"),
    ("odbl-1.0", "ODbL-1.0", "en"),
]


@pytest.mark.parametrize("dressing", sorted(DRESSINGS))
@pytest.mark.parametrize(("key", "spdx", "lang"), AUTHORISED_TEXTS)
def test_authorised_licence_in_every_dressing(key: str, spdx: str, lang: str, dressing: str) -> None:
    detection = detect_text(DRESSINGS[dressing](TEXTS[key]))
    assert detection.spdx == spdx
    assert detection.confidence >= 0.8
    assert [(m.reference, m.lang) for m in detection.matches] == [(key, lang)]


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_bundled_reference_detects_itself(key: str) -> None:
    expected = next(e["spdx"] for e in raw_entries() if e["key"] == key)
    assert detect_text(TEXTS[key]).spdx == expected


@pytest.mark.parametrize("dressing", sorted(DRESSINGS))
def test_gpl_notice_before_or_after_the_text_means_or_later(dressing: str) -> None:
    dress = DRESSINGS[dressing]
    assert detect_text(dress(GPL3_NOTICE + TEXTS["gpl-3.0"])).spdx == "GPL-3.0-or-later"
    assert detect_text(dress(TEXTS["gpl-3.0"] + "\n\n" + GPL3_NOTICE)).spdx == "GPL-3.0-or-later"
    assert detect_text(dress(TEXTS["gpl-3.0"])).spdx == "GPL-3.0-only"


def test_gpl_notice_alone_means_or_later() -> None:
    assert detect_text(GPL3_NOTICE).spdx == "GPL-3.0-or-later"


def test_gpl_text_without_its_how_to_apply_appendix_plus_notice() -> None:
    body = TEXTS["gpl-3.0"].split("How to Apply These Terms")[0]
    assert detect_text(body).spdx == "GPL-3.0-only"
    assert detect_text(body + "\n" + GPL3_NOTICE).spdx == "GPL-3.0-or-later"


def test_gpl2_with_version_2_notice() -> None:
    notice = (
        "This program is free software; you can redistribute it and/or modify it under the terms of the "
        "GNU General Public License as published by the Free Software Foundation; either version 2 of the "
        "License, or (at your option) any later version.\n\n"
    )
    assert detect_text(notice + TEXTS["gpl-2.0"]).spdx == "GPL-2.0-or-later"
    assert detect_text(TEXTS["gpl-2.0"]).spdx == "GPL-2.0-only"


def test_lgpl_and_agpl_bare_texts_are_only() -> None:
    assert detect_text(TEXTS["lgpl-2.1"]).spdx == "LGPL-2.1-only"
    assert detect_text(TEXTS["agpl-3.0"]).spdx == "AGPL-3.0-only"


@pytest.mark.parametrize(
    ("key", "spdx"),
    [("bsd-simplified", "BSD-2-Clause"), ("bsd-new", "BSD-3-Clause"), ("mit", "MIT"), ("mit-0", "MIT-0"),
     ("isc", "ISC"), ("bsd-zero", "0BSD"), ("eupl-1.1", "EUPL-1.1"), ("mpl-1.1", "MPL-1.1"),
     ("cecill-2.0", "CECILL-2.0"), ("gpl-2.0", "GPL-2.0-only"), ("lgpl-3.0", "LGPL-3.0-only")],
)  # fmt: skip
def test_close_families_are_told_apart_after_rewrapping(key: str, spdx: str) -> None:
    assert detect_text(DRESSINGS["wrap60"](TEXTS[key])).spdx == spdx


@pytest.mark.parametrize("name", sorted(NON_LICENCES))
def test_non_licences_give_noassertion(name: str) -> None:
    detection = detect_text(NON_LICENCES[name])
    assert detection.spdx == NOASSERTION
    assert detection.found is False
    assert detection.matches == ()


def test_two_licences_in_one_file_are_combined_with_and() -> None:
    assert detect_text(TEXTS["mit"] + "\n\n---\n\n" + TEXTS["apache-2.0"]).spdx == "Apache-2.0 AND MIT"


def test_french_and_english_cecill_in_one_file_give_one_licence() -> None:
    detection = detect_text(TEXTS["cecill-b"] + "\n\n" + TEXTS["cecill-b-en"])
    assert detection.spdx == "CECILL-B"
    assert sorted(m.lang for m in detection.matches) == ["en", "fr"]


def test_truncated_licence_abstains() -> None:
    half = TEXTS["cecill-b"][: len(TEXTS["cecill-b"]) // 2]
    assert detect_text(half).spdx == NOASSERTION


def test_detect_path_reads_latin1_and_bom(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "LICENCE.fr").write_bytes(TEXTS["cecill-c"].encode("latin-1", "replace"))
    (tmp_path / "LICENSE").write_bytes(b"\xef\xbb\xbf" + TEXTS["mit"].encode())
    assert detect_path(tmp_path / "LICENCE.fr").spdx == "CECILL-C"
    assert detect_path(tmp_path / "LICENSE").spdx == "MIT"


GITHUB_BSD3 = """BSD 3-Clause License

Copyright (c) 2024, Jane Doe

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
THIRD_CLAUSE = """3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

"""


def test_numbered_template_variants_of_bsd() -> None:
    assert detect_text(GITHUB_BSD3).spdx == "BSD-3-Clause"
    assert detect_text(GITHUB_BSD3.replace(THIRD_CLAUSE, "")).spdx == "BSD-2-Clause"


def test_french_readme_naming_a_licence_is_not_a_licence() -> None:
    readme = "# Projet\n\nCe logiciel est distribué sous licence CeCILL-B, voir le fichier LICENCE.\n"
    assert detect_text(readme).spdx == NOASSERTION


def test_bundled_pre_normalised_words_are_up_to_date() -> None:
    from registry.licences.references import _payload
    from registry.licences.textnorm import NORMALISATION, tokens

    payload = _payload()
    assert payload["normalisation"] == NORMALISATION
    assert all(e["words"] == " ".join(tokens(e["text"])) for e in payload["entries"])

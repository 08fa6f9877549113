from __future__ import annotations

import json
from pathlib import Path

from registry.licences import Finding, Source, collect_findings, finding_from_expression, reconcile
from registry.licences.references import raw_entries

TEXTS = {e["key"]: e["text"] for e in raw_entries() if e["kind"] == "text"}


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return tmp_path


def test_two_licence_files_and_an_or_header_mean_dual_licensing(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "LICENSE-MIT": TEXTS["mit"],
            "LICENSE-APACHE": TEXTS["apache-2.0"],
            "src/lib.rs": "// SPDX-License-Identifier: MIT OR Apache-2.0\nfn main() {}\n",
        },
    )
    findings = collect_findings(repo, forge="other", declared="MIT OR Apache-2.0")
    assert [(f.source, f.location, f.expression) for f in findings] == [
        (Source.LICENCE_FILE, "LICENSE-APACHE", "Apache-2.0"),
        (Source.LICENCE_FILE, "LICENSE-MIT", "MIT"),
        (Source.SPDX_HEADER, "src/lib.rs", "MIT OR Apache-2.0"),
        (Source.FORGE, "forge", "NOASSERTION"),
        (Source.DECLARED, "declared", "MIT OR Apache-2.0"),
    ]
    result = reconcile(findings)
    assert result.expression == "Apache-2.0 OR MIT"
    assert result.confidence == 1.0
    assert result.rule == "metadata OR expression covering the licence files"
    assert result.disagreements == ()


def test_two_licence_files_without_header_combine_with_and(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"LICENSE": TEXTS["mit"], "COPYING": TEXTS["apache-2.0"]})
    result = reconcile(collect_findings(repo, declared="MIT"))
    assert result.expression == "Apache-2.0 AND MIT"
    assert result.rule == "every repository source combined with AND"
    assert [d.message for d in result.disagreements] == [
        "licence_file COPYING says Apache-2.0 but licence_file LICENSE says MIT",
        "declared declared says MIT but the repository is Apache-2.0 AND MIT",
    ]


def test_cecill_b_french_file_with_codemeta_and_publiccode(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "LICENCE.fr": TEXTS["cecill-b"],
            "LICENSE": TEXTS["cecill-b-en"],
            "codemeta.json": json.dumps({"name": "x", "license": "https://spdx.org/licenses/CECILL-B"}),
            "publiccode.yml": "publiccodeYmlVersion: '0.4'\nlegal:\n  license: CECILL-B\n",
        },
    )
    findings = collect_findings(repo, forge="NOASSERTION")
    assert [(f.source.value, f.location, f.expression) for f in findings] == [
        ("licence_file", "LICENCE.fr", "CECILL-B"),
        ("licence_file", "LICENSE", "CECILL-B"),
        ("codemeta", "codemeta.json", "CECILL-B"),
        ("publiccode", "publiccode.yml", "CECILL-B"),
        ("forge", "forge", "NOASSERTION"),
    ]
    result = reconcile(findings)
    assert (result.expression, result.disagreements) == ("CECILL-B", ())


def test_metadata_disagreeing_with_the_files_is_reported(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"LICENSE": TEXTS["gpl-2.0"], "publiccode.yml": "legal:\n  license: GPL-3.0-or-later\n"},
    )
    result = reconcile(collect_findings(repo))
    assert result.expression == "GPL-2.0-only AND GPL-3.0-or-later"
    assert [d.message for d in result.disagreements] == [
        "licence_file LICENSE says GPL-2.0-only but publiccode publiccode.yml says GPL-3.0-or-later"
    ]


def test_invalid_header_keeps_its_error_and_unrecognised_file_is_noassertion(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"LICENSE": "All rights reserved.\n", "a.py": "# SPDX-License-Identifier: Foo-9\n"})
    findings = collect_findings(repo)
    assert findings == [
        Finding(Source.LICENCE_FILE, "LICENSE", "NOASSERTION", 0.0),
        Finding(
            Source.SPDX_HEADER, "a.py", "NOASSERTION", 0.0, "Foo-9",
            "Unknown SPDX licence identifier(s) in 'Foo-9': Foo-9.",
        ),
    ]  # fmt: skip
    result = reconcile(findings)
    assert (result.expression, result.confidence, result.rule) == ("NOASSERTION", 0.0, "no licence evidence")


def test_forge_answer_is_used_without_repository_evidence() -> None:
    result = reconcile([finding_from_expression(Source.FORGE, "forge", "mit"), finding_from_expression(Source.DECLARED, "declared", "MIT")])
    assert (result.expression, result.rule, result.disagreements) == ("MIT", "forge answer (no repository evidence)", ())


def test_declared_licence_never_concludes() -> None:
    result = reconcile([finding_from_expression(Source.DECLARED, "declared", "EUPL-1.2")])
    assert result.expression == "NOASSERTION"
    assert [d.message for d in result.disagreements] == ["declared declared says EUPL-1.2 but the repository is NOASSERTION"]

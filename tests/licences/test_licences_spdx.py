from __future__ import annotations

import json
from datetime import datetime

import pytest
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from registry.licences import InvalidExpression, SpdxProjectInput, SpdxRepositoryInput, build_spdx_document

PROJECT = SpdxProjectInput(
    slug="pmsi-tools",
    title="PMSI tools",
    organisation="CHU de Lille",
    homepage="https://pmsi.example.org",
    repositories=(
        SpdxRepositoryInput("https://gitlab.com/chu/pmsi-core", "v1.2.0", "MIT OR Apache-2.0", "Apache-2.0 OR MIT"),
        SpdxRepositoryInput("https://github.com/chu/pmsi-data.git", None, "etalab-2.0", "LicenseRef-Hopital AND GPL-3.0+"),
        SpdxRepositoryInput("https://github.com/chu/empty", None, None, "NOASSERTION"),
    ),
)


def test_document_is_valid_spdx_2_3() -> None:
    document = build_spdx_document(PROJECT, "ami.example.fr", datetime(2025, 1, 2, 3, 4, 5))
    reparsed = JsonLikeDictParser().parse(json.loads(json.dumps(document)))
    assert validate_full_spdx_document(reparsed, "SPDX-2.3") == []
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["documentNamespace"] == "https://ami.example.fr/projects/pmsi-tools/spdx.json"
    assert document["creationInfo"] == {
        "created": "2025-01-02T03:04:05Z",
        "creators": ["Tool: ami-registry-licences", "Organization: CHU de Lille"],
    }
    assert document["packages"][0] == {
        "SPDXID": "SPDXRef-Package-1-pmsi-core",
        "copyrightText": "NOASSERTION",
        "downloadLocation": "git+https://gitlab.com/chu/pmsi-core@v1.2.0",
        "filesAnalyzed": False,
        "homepage": "https://pmsi.example.org",
        "licenseConcluded": "Apache-2.0 OR MIT",
        "licenseDeclared": "MIT OR Apache-2.0",
        "name": "pmsi-core",
        "supplier": "Organization: CHU de Lille",
        "versionInfo": "v1.2.0",
    }
    second, third = document["packages"][1], document["packages"][2]
    assert (second["name"], second["versionInfo"], second["downloadLocation"]) == (
        "pmsi-data", "NOASSERTION", "git+https://github.com/chu/pmsi-data.git",
    )  # fmt: skip
    assert second["licenseConcluded"] == "LicenseRef-Hopital AND GPL-3.0-or-later"
    assert [e["licenseId"] for e in document["hasExtractedLicensingInfos"]] == ["LicenseRef-Hopital"]
    assert (third["licenseDeclared"], third["licenseConcluded"]) == ("NOASSERTION", "NOASSERTION")
    assert [r["relatedSpdxElement"] for r in document["relationships"]] == [
        "SPDXRef-Package-1-pmsi-core",
        "SPDXRef-Package-2-pmsi-data",
        "SPDXRef-Package-3-empty",
    ]


def test_invalid_expression_is_refused() -> None:
    project = SpdxProjectInput("x", "X", "Org", None, (SpdxRepositoryInput("https://g.org/a", None, "Nope-1.0"),))
    with pytest.raises(InvalidExpression):
        build_spdx_document(project, "ami.example.fr")

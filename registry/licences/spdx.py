"""SPDX 2.3 document of a project: one package per repository, validated by spdx-tools."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from license_expression import LicenseExpression
from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import Package
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.model.spdx_none import SpdxNone
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from .expressions import normalise_expression

TOOL = "ami-registry-licences"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.\-]+")
_CUSTOM = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")


class InvalidSpdxDocument(ValueError):
    """spdx-tools' validator rejected the document (carries its messages)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class SpdxRepositoryInput:
    url: str  # e.g. https://gitlab.com/org/repo
    latest_tag: str | None = None
    declared: str | None = None  # SPDX expression, None / "NOASSERTION" when unknown
    concluded: str | None = None
    name: str | None = None  # defaults to the last segment of the URL


@dataclass(frozen=True)
class SpdxProjectInput:
    slug: str
    title: str
    organisation: str
    homepage: str | None = None
    repositories: tuple[SpdxRepositoryInput, ...] = field(default=())


def _licence(expression: str | None) -> LicenseExpression | SpdxNoAssertion | SpdxNone:
    text = normalise_expression(expression) if expression and expression.strip() else "NOASSERTION"
    if text == "NOASSERTION":
        return SpdxNoAssertion()
    if text == "NONE":
        return SpdxNone()
    return spdx_licensing.parse(text)


def _repo_name(repo: SpdxRepositoryInput) -> str:
    return repo.name or repo.url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]


def build_spdx_model(project: SpdxProjectInput, base_url: str, created: datetime | None = None) -> Document:
    namespace = f"https://{base_url.removeprefix('https://').removeprefix('http://').rstrip('/')}/projects/{project.slug}/spdx.json"
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=project.title,
        document_namespace=namespace,
        creators=[Actor(ActorType.TOOL, TOOL), Actor(ActorType.ORGANIZATION, project.organisation)],
        created=(created or datetime.now(UTC)).replace(microsecond=0, tzinfo=None),
        data_license="CC0-1.0",
    )
    packages: list[Package] = []
    relationships: list[Relationship] = []
    custom: set[str] = set()
    for position, repo in enumerate(project.repositories, start=1):
        name = _repo_name(repo)
        spdx_id = f"SPDXRef-Package-{position}-{_UNSAFE_ID.sub('-', name).strip('-') or 'repository'}"
        location = f"git+{repo.url}@{repo.latest_tag}" if repo.latest_tag else f"git+{repo.url}"
        declared, concluded = _licence(repo.declared), _licence(repo.concluded)
        for value in (declared, concluded):
            if isinstance(value, LicenseExpression):
                custom.update(_CUSTOM.findall(value.render()))
        packages.append(
            Package(
                spdx_id=spdx_id,
                name=name,
                download_location=location,
                version=repo.latest_tag or "NOASSERTION",
                supplier=Actor(ActorType.ORGANIZATION, project.organisation),
                homepage=project.homepage,
                files_analyzed=False,
                license_declared=declared,
                license_concluded=concluded,
                copyright_text=SpdxNoAssertion(),
            )
        )
        relationships.append(Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, spdx_id))
    extracted = [
        ExtractedLicensingInfo(
            license_id=ref,
            extracted_text="NOASSERTION",
            license_name=SpdxNoAssertion(),
            comment="Custom licence reference found in the repository; its text is not collected here.",
        )
        for ref in sorted(custom)
    ]
    return Document(info, packages=packages, relationships=relationships, extracted_licensing_info=extracted)


def build_spdx_document(project: SpdxProjectInput, base_url: str, created: datetime | None = None) -> dict[str, Any]:
    """JSON-serialisable SPDX 2.3 document; raises InvalidSpdxDocument if spdx-tools rejects it.

    The namespace is https://<base_url>/projects/<slug>/spdx.json.
    """
    document = build_spdx_model(project, base_url, created)
    messages = validate_full_spdx_document(document, "SPDX-2.3")
    if messages:
        raise InvalidSpdxDocument([m.validation_message for m in messages])
    converted: dict[str, Any] = DocumentConverter().convert(document)  # type: ignore[no-untyped-call]
    return converted

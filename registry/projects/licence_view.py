"""A project's licence as the public sees it: one expression per repository, a verdict, and disagreements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# LicenceFinding.source values (as the harvester stores them) -> registry.licences Source values.
SOURCE_MAP = {
    "file": "licence_file",
    "licence_file": "licence_file",
    "spdx_header": "spdx_header",
    "codemeta": "codemeta",
    "publiccode": "publiccode",
    "forge_api": "forge",
    "forge": "forge",
    "declared": "declared",
}
SOURCE_LABELS = {
    "licence_file": ("fichier de licence", "licence file"),
    "spdx_header": ("en-têtes SPDX", "SPDX headers"),
    "codemeta": ("codemeta.json", "codemeta.json"),
    "publiccode": ("publiccode.yml", "publiccode.yml"),
    "forge": ("API de la forge", "forge API"),
    "declared": ("déclarée dans la candidature", "declared in the application"),
}


@dataclass(frozen=True)
class Disagreement:
    fr: str
    en: str


@dataclass(frozen=True)
class RepositoryLicence:
    repository_id: int | None
    expression: str
    disagreements: tuple[Disagreement, ...] = ()


@dataclass(frozen=True)
class ProjectLicence:
    expression: str  # "" when nothing is known
    compliant: bool | None  # None when unknown
    reason_fr: str = ""
    reason_en: str = ""
    repositories: tuple[RepositoryLicence, ...] = field(default=())

    @property
    def disagreements(self) -> list[Disagreement]:
        return [d for repo in self.repositories for d in repo.disagreements]


def _finding(row: dict[str, Any]) -> Any:
    from registry.licences import Source, finding_from_expression

    source = Source(SOURCE_MAP.get(row["source"], "licence_file"))
    return finding_from_expression(
        source, row.get("path") or source.value, row["expression"], float(row.get("confidence") or 1.0)
    )


def _reconcile(rows: list[dict[str, Any]], declared: str) -> RepositoryLicence | None:
    try:
        from registry.licences import Source, finding_from_expression, reconcile
    except ImportError:
        return None
    findings = [_finding(row) for row in rows]
    if declared:
        findings.append(finding_from_expression(Source.DECLARED, "declared", declared))
    result = reconcile(findings)
    repository_id = rows[0]["repository"] if rows else None
    return RepositoryLicence(
        repository_id, result.expression, tuple(_explain(d, result.expression) for d in result.disagreements)
    )


def _who(finding: Any) -> tuple[str, str]:
    fr, en = SOURCE_LABELS.get(finding.source.value, (finding.source.value, finding.source.value))
    if finding.location and finding.location not in (finding.source.value, "forge", "declared"):
        return f"{fr} ({finding.location})", f"{en} ({finding.location})"
    return fr, en


def _explain(disagreement: Any, concluded: str) -> Disagreement:
    first_fr, first_en = _who(disagreement.first)
    if disagreement.second is None:
        return Disagreement(
            f"{first_fr} indique {disagreement.first.expression}, mais le dépôt est sous {concluded}",
            f"{first_en} says {disagreement.first.expression}, but the repository is {concluded}",
        )
    second_fr, second_en = _who(disagreement.second)
    return Disagreement(
        f"{first_fr} indique {disagreement.first.expression}, "
        f"mais {second_fr} indique {disagreement.second.expression}",
        f"{first_en} says {disagreement.first.expression}, but {second_en} says {disagreement.second.expression}",
    )


def _judge(expression: str) -> tuple[bool | None, str, str]:
    try:
        from registry.licences import InvalidExpression, judge
    except ImportError:
        return None, "", ""
    try:
        verdict = judge(expression)
    except InvalidExpression as error:
        return False, f"expression de licence invalide : {error}", f"invalid licence expression: {error}"
    return verdict.compliant, verdict.reason_fr, verdict.reason_en


def project_licence(findings: Iterable[dict[str, Any]], repository_ids: list[int], declared: str) -> ProjectLicence:
    """Reconciles each repository's findings (release-level findings excluded by the caller)."""
    by_repo: dict[int | None, list[dict[str, Any]]] = {rid: [] for rid in repository_ids}
    for row in findings:
        by_repo.setdefault(row["repository"], []).append(row)
    repos: list[RepositoryLicence] = []
    for rows in by_repo.values():
        if not rows:
            continue
        try:
            reconciled = _reconcile(rows, declared)
        except Exception:  # a malformed stored expression must not hide the project
            reconciled = RepositoryLicence(
                rows[0]["repository"],
                "NOASSERTION",
                (Disagreement("expression de licence illisible", "unreadable licence expression"),),
            )
        if reconciled is not None:
            repos.append(reconciled)
    expressions = sorted({r.expression for r in repos if r.expression and r.expression != "NOASSERTION"})
    if not expressions and declared:
        expressions = [declared]
    if not expressions:
        return ProjectLicence("", None, "aucune licence connue", "no known licence", tuple(repos))
    expression = (
        expressions[0] if len(expressions) == 1 else " AND ".join(f"({e})" if " OR " in e else e for e in expressions)
    )
    compliant, reason_fr, reason_en = _judge(expression)
    return ProjectLicence(expression, compliant, reason_fr, reason_en, tuple(repos))

"""Licence detection, reconciliation, verdicts and SPDX documents for the AMI registry.

Exports are loaded lazily so that detection alone does not pay for importing spdx-tools.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .detect import NOASSERTION as NOASSERTION
    from .detect import Detection as Detection
    from .detect import Match as Match
    from .detect import detect_path as detect_path
    from .detect import detect_text as detect_text
    from .expressions import AUTHORISED as AUTHORISED
    from .expressions import InvalidExpression as InvalidExpression
    from .expressions import Verdict as Verdict
    from .expressions import judge as judge
    from .expressions import normalise_expression as normalise_expression
    from .findings import Disagreement as Disagreement
    from .findings import Finding as Finding
    from .findings import Reconciliation as Reconciliation
    from .findings import Source as Source
    from .findings import collect_findings as collect_findings
    from .findings import finding_from_detection as finding_from_detection
    from .findings import finding_from_expression as finding_from_expression
    from .findings import reconcile as reconcile
    from .spdx import InvalidSpdxDocument as InvalidSpdxDocument
    from .spdx import SpdxProjectInput as SpdxProjectInput
    from .spdx import SpdxRepositoryInput as SpdxRepositoryInput
    from .spdx import build_spdx_document as build_spdx_document

_EXPORTS = {
    ".detect": ("NOASSERTION", "Detection", "Match", "detect_path", "detect_text"),
    ".expressions": ("AUTHORISED", "InvalidExpression", "Verdict", "judge", "normalise_expression"),
    ".findings": (
        "Disagreement", "Finding", "Reconciliation", "Source", "collect_findings",
        "finding_from_detection", "finding_from_expression", "reconcile",
    ),
    ".spdx": ("InvalidSpdxDocument", "SpdxProjectInput", "SpdxRepositoryInput", "build_spdx_document"),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value

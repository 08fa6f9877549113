"""SPDX expression normalisation and the verdict against the authorised list (CRPA art. D.323-2-1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from registry.errors import N_

NOASSERTION = "NOASSERTION"
NONE = "NONE"

AUTHORISED: frozenset[str] = frozenset(
    {
        # Software, permissive
        "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CECILL-B", "MIT",
        # Software, with reciprocity
        "CECILL-2.1", "CECILL-C", "GPL-3.0-or-later", "LGPL-3.0-or-later", "AGPL-3.0-or-later",
        "MPL-2.0", "EPL-2.0", "EUPL-1.2",
        # Data and documents
        "etalab-2.0", "ODbL-1.0",
    }
)  # fmt: skip

_CUSTOM = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")


class InvalidExpression(ValueError):
    """An SPDX expression that cannot be parsed or names an unknown licence.

    `message`: English, with the library's own words; `sentence`: our French sentence, a catalogue
    message with its parameters filled in (pages translate it); `detail`: the library's text alone,
    shown second if at all.
    """

    def __init__(self, expression: str, message: str, sentence: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.expression = expression
        self.message = message
        self.sentence = sentence or N_("« %(expression)s » n'est pas une expression de licence SPDX valide") % {
            "expression": expression.strip()}
        self.detail = detail


@dataclass(frozen=True)
class Verdict:
    compliant: bool
    reason_fr: str
    reason_en: str


@lru_cache(maxsize=1)
def licensing() -> Licensing:
    return get_spdx_licensing()


def _parse(text: str) -> Any:
    source = " ".join(text.split())
    if not source:
        raise InvalidExpression(text, "The licence expression is empty.", N_("L'expression de licence est vide"))
    lic = licensing()
    try:
        parsed = lic.parse(source, validate=False, strict=True)
    except ExpressionError as error:
        raise InvalidExpression(text, f"Invalid SPDX expression {source!r}: {str(error).rstrip('.')}.",
                                detail=str(error).rstrip(".")) from error
    unknown = [k for k in lic.unknown_license_keys(parsed) if not _CUSTOM.match(k)]
    if unknown:
        names = ", ".join(unknown)
        raise InvalidExpression(text, f"Unknown SPDX licence identifier(s) in {source!r}: {names}.",
                                N_("identifiant(s) de licence SPDX inconnu(s) : %(names)s") % {"names": names})
    for symbol in lic.license_symbols(parsed, decompose=False):
        if isinstance(symbol, LicenseWithExceptionSymbol):
            if not getattr(symbol.exception_symbol, "is_exception", False):
                name = symbol.exception_symbol.key
                raise InvalidExpression(
                    text, f"{name} is not an SPDX licence exception (after WITH).",
                    N_("%(name)s n'est pas une exception de licence SPDX (attendue après WITH)") % {"name": name})
        elif getattr(symbol, "is_exception", False):
            raise InvalidExpression(
                text, f"{symbol.key} is an exception and can only follow WITH.",
                N_("%(name)s est une exception de licence : elle ne peut venir qu'après WITH") % {"name": symbol.key})
    return parsed


def normalise_expression(text: str) -> str:
    """Canonical SPDX expression: official case, deprecated ids replaced (GPL-3.0+ -> GPL-3.0-or-later)."""
    stripped = text.strip()
    if stripped.upper() in (NOASSERTION, NONE):
        return stripped.upper()
    return str(_parse(stripped).render())


def _leaf(key: str, policy: frozenset[str]) -> tuple[bool, str, str]:
    if key in policy:
        return True, f"{key} is on the authorised list", N_("%(key)s figure sur la liste des licences autorisées") % {
            "key": key}
    later = key.removesuffix("-only") + "-or-later"
    if key.endswith("-only") and later in policy:
        return (
            True,
            f"{key} is accepted as the -only variant of {later}, which is on the authorised list",
            N_("%(key)s est acceptée comme variante -only de %(later)s, qui figure sur la liste des licences "
               "autorisées") % {"key": key, "later": later},
        )
    if _CUSTOM.match(key):
        return (
            False,
            f"{key} is a custom licence reference (LicenseRef-), not on the authorised list",
            N_("%(key)s est une référence de licence non standard (LicenseRef-), absente de la liste des "
               "licences autorisées") % {"key": key},
        )
    return False, f"{key} is not on the authorised list", N_(
        "%(key)s ne figure pas sur la liste des licences autorisées") % {"key": key}


def _evaluate(node: Any, policy: frozenset[str]) -> tuple[bool, str, str]:
    if isinstance(node, LicenseWithExceptionSymbol):
        ok, en, fr = _leaf(node.license_symbol.key, policy)
        exc = node.exception_symbol.key
        if ok:
            return ok, f"{en}; the exception {exc} keeps it compliant", N_(
                "%(reason)s ; l'exception %(exception)s la laisse conforme") % {"reason": fr, "exception": exc}
        return ok, f"{en} (exception {exc})", f"{fr} (exception {exc})"
    if isinstance(node, LicenseSymbol):
        return _leaf(node.key, policy)
    results = [_evaluate(arg, policy) for arg in node.args]
    if isinstance(node, OR):
        chosen = next((r for r in results if r[0]), None)
        if chosen:
            return (
                True,
                f"{chosen[1]} (one authorised alternative is enough)",
                N_("%(reason)s (une alternative autorisée suffit)") % {"reason": chosen[2]},
            )
        return False, "; ".join(r[1] for r in results), " ; ".join(r[2] for r in results)
    if isinstance(node, AND):
        failing = [r for r in results if not r[0]]
        shown = failing or results
        return not failing, "; ".join(r[1] for r in shown), " ; ".join(r[2] for r in shown)
    raise InvalidExpression(str(node), f"Unsupported expression element {node!r}.")


def judge(expression: str, policy: frozenset[str] | set[str] = AUTHORISED) -> Verdict:
    """Is the expression usable by a French administration under the given policy (SPDX ids)?

    OR needs one compliant alternative, AND needs every part, WITH follows its licence.
    Raises InvalidExpression for an invalid expression or an unknown identifier.
    """
    stripped = expression.strip()
    if stripped.upper() == NOASSERTION:
        return Verdict(
            False, "aucune licence n'a pu être déterminée (NOASSERTION)", "no licence could be determined (NOASSERTION)"
        )
    if stripped.upper() == NONE:
        return Verdict(False, "aucune licence (NONE)", "no licence at all (NONE)")
    ok, en, fr = _evaluate(_parse(stripped), frozenset(policy))
    return Verdict(ok, fr, en)

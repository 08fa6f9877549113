"""Rules for application fields: pure functions returning clean values or FieldErrors."""

from __future__ import annotations

import re
from typing import Any

from registry.errors import FieldError
from registry.harvest.urls import UnsafeRepositoryURL, UrlPolicy  # the one URL policy, shared with harvesters

_ROR_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6}[0-9]{2})$")


def siren_is_valid(siren: str) -> bool:
    """Nine digits whose Luhn key is right (La Poste's 356000000 is the documented exception)."""
    if not re.fullmatch(r"\d{9}", siren):
        return False
    if siren == "356000000":
        return True
    total = 0
    for index, char in enumerate(reversed(siren)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def normalise_ror(raw: str) -> str | None:
    """A ROR id ("0" + 6 base-32 characters + 2 check digits, ISO 7064 mod 97-10) or None."""
    match = _ROR.match(raw.strip().lower())
    if not match:
        return None
    ror = match.group(1)
    number = 0
    for char in ror[:7]:
        number = number * 32 + _ROR_ALPHABET.index(char)
    return ror if 98 - (number * 100) % 97 == int(ror[7:]) else None


def clean_siren(raw: str, errors: list[FieldError]) -> str:
    siren = re.sub(r"[\s.\u202f]", "", raw or "")
    if siren and not siren_is_valid(siren):
        errors.append(FieldError("organisation.siren",
                                 "Numéro SIREN invalide : 9 chiffres dont le dernier est une clé de contrôle (Luhn)."))
    return siren


def clean_ror(raw: str, errors: list[FieldError]) -> str:
    if not (raw or "").strip():
        return ""
    ror = normalise_ror(raw)
    if ror is None:
        errors.append(FieldError("organisation.ror",
                                 "Identifiant ROR invalide : attendu par exemple 02feahw73 ou https://ror.org/02feahw73."))
        return raw.strip()
    return ror


def clean_amount(raw: Any, *, amount_min: int, amount_max: int, errors: list[FieldError]) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip().replace(" ", "").replace("\u202f", "").replace("\u00a0", "").removesuffix("€")
    try:
        amount = int(text)
    except ValueError:
        errors.append(FieldError("requested_amount", "Indiquez un montant en euros, sans centimes."))
        return None
    if amount < 0:
        errors.append(FieldError("requested_amount", "Le montant ne peut pas être négatif."))
    elif amount < amount_min or (amount_max and amount > amount_max):
        errors.append(FieldError("requested_amount",
                                 f"Le montant demandé doit être compris entre {amount_min:,} € et {amount_max:,} €."
                                 .replace(",", "\u202f")))
    return amount


def clean_licence(raw: str, *, policy: list[str], errors: list[FieldError]) -> str:
    from registry.licences import AUTHORISED, InvalidExpression, judge, normalise_expression
    from registry.licences.expressions import N_

    text = (raw or "").strip()
    if not text:
        return ""
    try:
        expression = normalise_expression(text)
        verdict = judge(expression, frozenset(policy) if policy else AUTHORISED)
    except InvalidExpression as error:
        # Our sentence, translated where it is shown; the library's own words are left out.
        errors.append(FieldError("licence", N_("Expression SPDX invalide : %(sentence)s.") % {
            "sentence": error.sentence}))
        return text
    if not verdict.compliant:
        names = ", ".join(sorted(policy or AUTHORISED))
        errors.append(FieldError("licence", N_("Licence non autorisée pour cet appel : %(reason)s. Licences "
                                               "autorisées : %(names)s.") % {"reason": verdict.reason_fr,
                                                                              "names": names}))
    return expression


def clean_repositories(urls: list[str], *, policy: UrlPolicy, errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    for raw in urls:
        if not raw.strip():
            continue
        try:
            parsed = policy.check(raw)
        except UnsafeRepositoryURL as error:
            errors.append(FieldError("repositories", f"Adresse de dépôt refusée ({raw.strip()}) : {error.detail}."))
            continue
        if parsed.url not in cleaned:
            cleaned.append(parsed.url)
    if len(cleaned) > 20:
        errors.append(FieldError("repositories", "Vingt dépôts au plus."))
    return cleaned


def missing_for_submission(values: dict[str, Any]) -> list[FieldError]:
    """What still blocks submission, in the order of the form; each item names its field."""
    missing: list[FieldError] = []
    for name, label in (("title", "le titre"), ("public_title", "le titre en langage clair"),
                        ("public_summary", "le résumé en langage clair"), ("description", "la description")):
        if not (values.get(name) or "").strip():
            missing.append(FieldError(name, f"Renseignez {label}."))
    if values.get("requested_amount") is None:
        missing.append(FieldError("requested_amount", "Indiquez le montant demandé."))
    if not values.get("repositories"):
        missing.append(FieldError("repositories", "Indiquez au moins un dépôt prévu."))
    if not (values.get("licence") or "").strip():
        missing.append(FieldError("licence", "Indiquez la licence envisagée (expression SPDX)."))
    if not (values.get("org_name") or "").strip():
        missing.append(FieldError("organisation.name", "Indiquez le nom de l'organisme porteur."))
    if not values.get("org_siren") and not values.get("org_ror"):
        missing.append(FieldError("organisation.siren", "Indiquez le SIREN ou l'identifiant ROR de l'organisme."))
    return missing

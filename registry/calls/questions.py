"""Per-call questions: their schema, the answers' rules, and the versions a call has asked.

A call's `questions` is an ordered list of dicts (see QUESTION_KINDS and `validate_questions`).
Questions are editable until the call's first submission; afterwards a change stores a new
version (`Call.questions_version` + `Call.question_versions`), and each submitted application
keeps the version it answered (`Application.questions_version`, also in the receipt's content).

Answers are `{key: value}`; `validate_answers` returns the clean values and FieldErrors named
`answers.<key>`. Messages are French, marked with N_ and translated where they are shown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from registry.errors import N_, FieldError, InvalidInput

QUESTION_KINDS = ("text", "long_text", "number", "choice", "multi_choice", "yes_no", "url", "date", "file")
# Kinds whose answer may name the applicant, hence hidden from reviewers on blind calls when flagged
# `identifying`; `file` answers are always hidden on blind calls.
TEXT_KINDS = ("text", "long_text")
CHOICE_KINDS = ("choice", "multi_choice")
MAX_QUESTIONS = 60
DEFAULT_MAX_LENGTH = {"text": 300, "long_text": 10000}
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    return None


def validate_questions(raw: Any) -> list[dict[str, Any]]:
    """The clean, ordered list of questions, or InvalidInput naming `questions[i].<field>`."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput(N_("Les questions doivent être une liste."),
                           [FieldError("questions", N_("Les questions doivent être une liste."))])
    errors: list[FieldError] = []
    if len(raw) > MAX_QUESTIONS:
        errors.append(FieldError("questions", N_("Soixante questions au plus.")))
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"questions[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, N_("Chaque question doit être un objet.")))
            continue
        key = _text(item.get("key"))
        if not _KEY.match(key):
            errors.append(FieldError(f"{where}.key", N_("Clé invalide : lettres minuscules, chiffres, « - » ou « _ », "
                                                        "commençant par une lettre (60 caractères au plus).")))
        elif key in seen:
            errors.append(FieldError(f"{where}.key", N_("Cette clé est déjà utilisée par une autre question.")))
        seen.add(key)
        label = _text(item.get("label") or item.get("label_fr"))
        if not label:
            errors.append(FieldError(f"{where}.label", N_("Indiquez l'intitulé de la question.")))
        elif len(label) > 500:
            errors.append(FieldError(f"{where}.label", N_("L'intitulé fait 500 caractères au plus.")))
        kind = _text(item.get("kind"))
        if kind not in QUESTION_KINDS:
            errors.append(FieldError(f"{where}.kind", N_("Type de question inconnu.")))
        question: dict[str, Any] = {
            "key": key, "label": label, "label_en": _text(item.get("label_en")),
            "help": _text(item.get("help") or item.get("help_fr")), "help_en": _text(item.get("help_en")),
            "kind": kind, "required": bool(item.get("required", False)),
            "section": _text(item.get("section")), "section_en": _text(item.get("section_en")),
        }
        if kind in TEXT_KINDS:
            question["identifying"] = bool(item.get("identifying", False))
            max_length = item.get("max_length")
            if max_length in (None, ""):
                question["max_length"] = None
            else:
                number = _number(max_length)
                if not isinstance(number, int) or number < 1 or number > 100000:
                    errors.append(FieldError(f"{where}.max_length",
                                             N_("La longueur maximale est un entier entre 1 et 100000.")))
                else:
                    question["max_length"] = number
        if kind == "number":
            for bound in ("min", "max"):
                value = item.get(bound)
                if value in (None, ""):
                    question[bound] = None
                    continue
                number = _number(value)
                if number is None:
                    errors.append(FieldError(f"{where}.{bound}", N_("Indiquez un nombre.")))
                else:
                    question[bound] = number
            if (question.get("min") is not None and question.get("max") is not None
                    and question["min"] > question["max"]):
                errors.append(FieldError(f"{where}.max", N_("Le maximum doit être supérieur ou égal au minimum.")))
        if kind in CHOICE_KINDS:
            choices = item.get("choices")
            clean_choices: list[dict[str, str]] = []
            if not isinstance(choices, list) or not choices:
                errors.append(FieldError(f"{where}.choices", N_("Indiquez au moins un choix.")))
                choices = []
            values: set[str] = set()
            for position, choice in enumerate(choices):
                if isinstance(choice, str):
                    choice = {"value": choice, "label": choice}
                if not isinstance(choice, dict):
                    errors.append(FieldError(f"{where}.choices[{position}]", N_("Choix invalide.")))
                    continue
                value = _text(choice.get("value")) or _text(choice.get("label"))
                choice_label = _text(choice.get("label")) or value
                if not value:
                    errors.append(FieldError(f"{where}.choices[{position}]", N_("Choix vide.")))
                    continue
                if value in values:
                    errors.append(FieldError(f"{where}.choices[{position}]", N_("Ce choix figure deux fois.")))
                    continue
                values.add(value)
                clean_choices.append({"value": value, "label": choice_label,
                                      "label_en": _text(choice.get("label_en"))})
            question["choices"] = clean_choices
        clean.append(question)
    if errors:
        raise InvalidInput(N_("Les questions de l'appel contiennent des erreurs."), errors)
    return clean


def questions_of(value: Any) -> list[dict[str, Any]]:
    """A stored questions column (text or list) as a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return list(value)


def answers_of(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _clean_one(question: dict[str, Any], value: Any,
               attachment_ids: set[int] | None) -> tuple[Any, str | None]:
    """(clean value, error message or None) for a non-empty value."""
    kind = question["kind"]
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            return value, N_("Indiquez un texte.")
        text = value.strip()
        limit = question.get("max_length") or DEFAULT_MAX_LENGTH[kind]
        if len(text) > limit:
            return text, N_("%(count)s caractères au plus.") % {"count": limit}
        return text, None
    if kind == "number":
        number = _number(value)
        if number is None:
            return value, N_("Indiquez un nombre.")
        if question.get("min") is not None and number < question["min"]:
            return number, N_("La valeur doit être au moins %(min)s.") % {"min": question["min"]}
        if question.get("max") is not None and number > question["max"]:
            return number, N_("La valeur doit être au plus %(max)s.") % {"max": question["max"]}
        return number, None
    if kind == "choice":
        allowed = [c["value"] for c in question.get("choices", [])]
        if not isinstance(value, str) or value not in allowed:
            return value, N_("Choisissez l'une des réponses proposées.")
        return value, None
    if kind == "multi_choice":
        allowed = [c["value"] for c in question.get("choices", [])]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or any(not isinstance(v, str) or v not in allowed for v in items):
            return value, N_("Choisissez parmi les réponses proposées.")
        return [v for v in allowed if v in items], None
    if kind == "yes_no":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in ("oui", "yes", "true", "1", "on"):
            return True, None
        if isinstance(value, str) and value.strip().lower() in ("non", "no", "false", "0"):
            return False, None
        return value, N_("Répondez par oui ou par non.")
    if kind == "url":
        text = value.strip() if isinstance(value, str) else ""
        if not re.match(r"^https?://[^\s/?#]+\.[^\s/?#]+[^\s]*$", text, re.IGNORECASE) or len(text) > 2000:
            return value, N_("Indiquez une adresse web commençant par http:// ou https://.")
        return text, None
    if kind == "date":
        text = value.strip() if isinstance(value, str) else ""
        try:
            return dt.date.fromisoformat(text).isoformat(), None
        except ValueError:
            return value, N_("Indiquez une date au format AAAA-MM-JJ.")
    if kind == "file":
        number = _number(value)
        if not isinstance(number, int) or (attachment_ids is not None and number not in attachment_ids):
            return value, N_("Joignez un fichier de ce dossier.")
        return number, None
    return value, N_("Type de question inconnu.")


def validate_answers(questions: list[dict[str, Any]], answers: Any, *, for_submission: bool,
                     attachment_ids: set[int] | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(clean answers, errors [{field: "answers.<key>", message}]).

    Unknown keys are dropped. Invalid values stay in `clean` as typed (a draft keeps them);
    on submission missing required answers are errors too. `attachment_ids`, when given,
    are the ids a `file` answer may name (this application's attachments).
    """
    if not isinstance(answers, dict):
        answers = {}
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for question in questions:
        key = question["key"]
        value = answers.get(key)
        if _is_empty(value):
            if for_submission and question.get("required"):
                errors.append({"field": f"answers.{key}", "message": N_("Cette question est obligatoire.")})
            continue
        value, message = _clean_one(question, value, attachment_ids)
        clean[key] = value
        if message:
            errors.append({"field": f"answers.{key}", "message": message})
    return clean, errors


def hidden_from_reviewers(question: dict[str, Any], *, blind: bool) -> bool:
    """On blind calls, files and text answers flagged identifying are not shown to reviewers."""
    return blind and (question.get("kind") == "file" or bool(question.get("identifying")))


def questions_changed(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    return json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True)


def version_questions(call: dict[str, Any], version: int | None) -> list[dict[str, Any]]:
    """The questions of one version of a call (the current ones when unknown)."""
    current = questions_of(call.get("questions"))
    if version is None or version == call.get("questions_version"):
        return current
    for item in questions_of(call.get("question_versions")):
        if item.get("version") == version:
            return list(item.get("questions") or [])
    return current


def label(question: dict[str, Any], lang: str) -> str:
    return (question.get("label_en") if lang == "en" else "") or question.get("label", "")


def help_text(question: dict[str, Any], lang: str) -> str:
    return (question.get("help_en") if lang == "en" else "") or question.get("help", "")


def section(question: dict[str, Any], lang: str) -> str:
    return (question.get("section_en") if lang == "en" else "") or question.get("section", "")


def choice_label(question: dict[str, Any], value: str, lang: str) -> str:
    for choice in question.get("choices", []):
        if choice["value"] == value:
            return (choice.get("label_en") if lang == "en" else "") or choice["label"]
    return value


def sections(questions: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """Consecutive questions grouped by section: [(first question of the section or None, questions)]."""
    groups: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]] = []
    current: str | None = None
    for question in questions:
        name = question.get("section") or ""
        if not groups or name != current:
            groups.append((question if name else None, []))
            current = name
        groups[-1][1].append(question)
    return groups


def answer_rows(questions: list[dict[str, Any]], answers: dict[str, Any], *, blind_reader: bool = False,
                attachments: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """What a page shows of the answers, in the questions' order: each question with its answer
    (`value`, None when unanswered), the attachment's name for files, sections kept.
    `blind_reader` (a reviewer on a blind call) leaves out what `hidden_from_reviewers` names."""
    rows = []
    for question in questions:
        if blind_reader and hidden_from_reviewers(question, blind=True):
            continue
        value = answers.get(question["key"])
        row = {**question, "value": value}
        if question["kind"] == "file" and value is not None:
            row["filename"] = (attachments or {}).get(value, "")
        rows.append(row)
    return rows


def answer_text(row: dict[str, Any], lang: str, yes: str = "oui", no: str = "non") -> str:
    """An answer row (see answer_rows) as plain text, for the PDF receipt and exports."""
    value = row.get("value")
    if value is None or value == "" or value == []:
        return ""
    kind = row.get("kind")
    if kind == "yes_no":
        return yes if value else no
    if kind == "choice":
        return choice_label(row, value, lang)
    if kind == "multi_choice":
        return ", ".join(choice_label(row, v, lang) for v in value)
    if kind == "file":
        return row.get("filename") or str(value)
    return str(value)

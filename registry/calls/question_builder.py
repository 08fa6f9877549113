"""The manager's question builder: one question from the editor's form, list operations (add, edit, delete,
move) and saving, with the freezing rule of registry/calls/questions.py.

Validation is registry.calls.questions.validate_questions (errors name `questions[i].<field>`); this module
only turns the form into a question dict and the whole list into a saved one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from registry.applications.tables import Application, ApplicationVersion
from registry.calls.tables import Call
from registry.errors import FieldError, InvalidInput

FORM_FIELDS = ("key", "label", "label_en", "help", "help_en", "kind", "choices", "choices_en", "min", "max",
               "max_length", "section", "section_en")
FLAGS = ("required", "identifying")
NUMBERS = ("min", "max", "max_length")
EDITABLE_STATES = ("draft", "upcoming", "open")


def questions_of(call: Call) -> list[dict[str, Any]]:
    from registry.calls.questions import questions_of as stored

    return [dict(q) for q in stored(call.questions) if isinstance(q, dict)]


def version_of(call: Call) -> int:
    return int(getattr(call, "questions_version", None) or 1)


async def frozen_since(call: Call) -> datetime | None:
    """When the call's first submission was made (the questions are frozen from then on), or None."""
    ids = [row["id"] for row in await Application.select(Application.id).where(Application.call == call.id)]
    if not ids:
        return None
    first = await ApplicationVersion.select(ApplicationVersion.submitted_at).where(
        ApplicationVersion.application.is_in(ids)).order_by(ApplicationVersion.submitted_at).first()
    return first["submitted_at"] if first else None


def _number(text: str) -> Any:
    """A typed bound as a number when it is one; otherwise the text, for the validator to refuse."""
    cleaned = text.strip().replace(" ", "").replace("\u202f", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        return int(cleaned)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return text.strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def form_values(data: dict[str, list[str]]) -> dict[str, Any]:
    """The editor's fields as typed (to redisplay them unchanged)."""
    values: dict[str, Any] = {name: (data.get(name) or [""])[0] for name in FORM_FIELDS}
    values.update({flag: bool(data.get(flag)) for flag in FLAGS})
    return values


def values_of(question: dict[str, Any]) -> dict[str, Any]:
    """A stored question as the editor's fields."""
    values: dict[str, Any] = {name: question.get(name, "") for name in FORM_FIELDS}
    for name in NUMBERS:
        values[name] = "" if question.get(name) is None else str(question[name])
    choices = [c if isinstance(c, dict) else {"value": c, "label": c} for c in question.get("choices") or []]
    values["choices"] = "\n".join(str(c.get("label") or c.get("value")) for c in choices)
    values["choices_en"] = "\n".join(str(c.get("label_en") or "") for c in choices).strip("\n")
    values.update({flag: bool(question.get(flag)) for flag in FLAGS})
    return values


def key_from_label(label: str, taken: set[str]) -> str:
    """`source_des_donnees` from « Source des données », unique among the call's keys."""
    spaced = re.sub(r"[^\w]+", " ", label)  # apostrophes and punctuation separate words
    ascii_label = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode("ascii").lower()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label).strip("_")[:40].strip("_") or "question"
    if base[0].isdigit():
        base = f"q_{base}"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


def question_from_values(values: dict[str, Any], *, taken: set[str]) -> dict[str, Any]:
    """The question dict the validator expects; empty optional fields are left out."""
    question: dict[str, Any] = {
        "key": values["key"].strip() or key_from_label(values["label"], taken),
        "label": values["label"].strip(),
        "kind": values["kind"].strip() or "text",
        "required": bool(values["required"]),
    }
    for name in ("label_en", "help", "help_en", "section", "section_en"):
        if str(values.get(name) or "").strip():
            question[name] = str(values[name]).strip()
    if question["kind"] in ("choice", "multi_choice"):
        # One choice per line; the English lines go with the French ones in the same order.
        english = [line.strip() for line in str(values.get("choices_en") or "").splitlines()]
        english = english if any(english) else []
        question["choices"] = [{"value": label, "label": label,
                                "label_en": english[index] if index < len(english) else ""}
                               for index, label in enumerate(_lines(values.get("choices", "")))]
    for name in NUMBERS:
        number = _number(str(values.get(name) or ""))
        if number is not None:
            question[name] = number
    if values.get("identifying"):
        question["identifying"] = True
    return question


def errors_for(error: InvalidInput, index: int) -> dict[str, str]:
    """The validator's errors about question `index`, keyed by the editor's field names."""
    from app.i18n import translate_stored

    prefix = f"questions[{index}]."
    errors: dict[str, str] = {}
    for item in error.errors:
        if item.field.startswith(prefix):
            name = item.field[len(prefix):].split("[")[0].split(".")[0]
            errors.setdefault(name if name in FORM_FIELDS + FLAGS else "label", translate_stored(item.message))
        elif item.field.startswith("questions[") or item.field == "questions":
            errors.setdefault("key", translate_stored(item.message))
    if not errors:
        errors["label"] = translate_stored(error.detail)
    return errors


def replaced(questions: list[dict[str, Any]], key: str, question: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The list with the question `key` replaced by `question` (or removed when None), order kept."""
    result = []
    for item in questions:
        if item.get("key") == key:
            if question is not None:
                result.append(question)
        else:
            result.append(item)
    return result


def moved(questions: list[dict[str, Any]], key: str, direction: str) -> list[dict[str, Any]]:
    result = list(questions)
    index = next((i for i, q in enumerate(result) if q.get("key") == key), None)
    if index is None:
        return result
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(result):
        result[index], result[target] = result[target], result[index]
    return result


def refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, [FieldError(field, message)])


async def save_questions(slug: str, questions: list[dict[str, Any]], *, actor: Any,
                         new_version: bool = False) -> Call:
    """Saves the whole list through the call's transition `registry.calls.service.set_questions`
    (validation, the freezing rule, version N+1 with `new_version`, audit entry)."""
    from registry.calls.service import set_questions

    return await set_questions(slug, questions, actor=actor, new_version=new_version)

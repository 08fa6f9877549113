"""Piccolo hands JSON columns back as text from objects(); this reads them as lists either way."""

from __future__ import annotations

import json
from typing import Any


def json_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return list(value)

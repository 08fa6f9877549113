"""Babel extractor: the standard Python one, plus French tables translated at run time.

Some messages live in module-level tables and reach gettext through a variable
(``_(message)`` in app/web/forms.py, ``_(labels[state])`` in templates), so the
standard extractor cannot see them. This one also yields the strings of the dicts
named in TABLES. Used only by ``pybabel extract`` (see babel.cfg); never imported
by the application.
"""

from __future__ import annotations

import ast
import io

from babel.messages.extract import extract_python

# Table name -> position of the message in tuple values (None: the value is the message).
TABLES: dict[str, int | None] = {
    "FLASH_MESSAGES": 1,          # app/web/forms.py: code -> (kind, message)
    "STATE_LABELS": None,         # registry/calls/state.py, registry/applications/state.py
    "_LABELS": None,              # registry/reviews/states.py (assignment and review states)
    "CONFLICT_KIND_LABELS": None,  # registry/reviews/reviewing.py
    "FACET_TITLES": None,         # app/controllers/registry_pages.py
    "LABEL_CATEGORIES": None,     # app/controllers/registry_pages.py
}


def _table_messages(source: bytes):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        else:
            continue
        tables = [n for n in names if n in TABLES]
        if not tables or not isinstance(node.value, ast.Dict):
            continue
        index = TABLES[tables[0]]
        for value in node.value.values:
            if index is not None and isinstance(value, ast.Tuple) and len(value.elts) > index:
                value = value.elts[index]
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                yield value.lineno, "_", value.value, []


def python(fileobj, keywords, comment_tags, options):
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    yield from _table_messages(source)

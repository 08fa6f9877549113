"""Ways real repositories dress a licence text, shared by the tests and the benchmark."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

PREAMBLE = "This project is distributed under the terms of the licence below.\n\n"
FOOTER = "\n\nFor any question about this licence, write to legal@example.org.\n"
COPYRIGHT = "Copyright (c) 2024 Agence du Numérique en Santé\n\n"


def paragraphs(text: str) -> list[str]:
    return [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def rewrap(text: str, width: int) -> str:
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=width) for p in paragraphs(text)) + "\n"


def markdown(text: str) -> str:
    paras = paragraphs(text)
    title = " ".join(paras[0].split())
    rest = [f"**{' '.join(p.split())}**" if i % 5 == 0 else p for i, p in enumerate(paras[1:])]
    return f"# {title}\n\n" + "\n\n".join(rest) + "\n"


def crlf_trailing(text: str) -> str:
    return "\r\n".join(line + "   " for line in text.split("\n"))


DRESSINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "copyright": lambda t: COPYRIGHT + t,
    "wrap60": lambda t: rewrap(t, 60),
    "wrap100": lambda t: COPYRIGHT + rewrap(t, 100),
    "markdown": markdown,
    "crlf": crlf_trailing,
    "preamble_footer": lambda t: PREAMBLE + t + FOOTER,
}

GPL3_NOTICE = """ami-health  Copyright (C) 2024  Jane Doe

This program is free software: you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation, either version 3 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.

You should have received a copy of the GNU General Public License
along with this program.  If not, see <https://www.gnu.org/licenses/>.

"""

README = """# ami-health

A toolkit to compute indicators from hospital discharge data (PMSI).

## Installation

    pip install ami-health

## Usage

Run `ami-health compute --year 2023` to produce the yearly indicators.
Contributions are welcome: please open an issue first.

## Licence

This project is free software; see the LICENSE file for the terms.
"""

PROPRIETARY = "Copyright X. All rights reserved. Proprietary and confidential.\n"

NON_LICENCES: dict[str, str] = {
    "README.md": README,
    "PROPRIETARY.txt": PROPRIETARY,
    "NOTICE-proprietary.txt": (
        "Copyright (c) 2023 Acme Health SAS. All rights reserved.\n\n"
        "This software is the confidential and proprietary information of Acme Health SAS.\n"
        "You shall not disclose such confidential information and shall use it only in\n"
        "accordance with the terms of the licence agreement you entered into with Acme.\n"
    ),
    "CHANGELOG.md": "# Changelog\n\n## 1.2.0\n\n- Add the PMSI importer.\n- Fix the export of indicators.\n",
    "CONTRIBUTING.md": (
        "# Contributing\n\nThank you for contributing! Fork the repository, create a branch,\n"
        "add tests and open a merge request. By contributing you agree that your work is\n"
        "released under the licence of the project.\n"
    ),
    "empty.txt": "",
}

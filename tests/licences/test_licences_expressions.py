from __future__ import annotations

import pytest

from registry.licences import AUTHORISED, InvalidExpression, Verdict, judge, normalise_expression


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GPL-3.0+", "GPL-3.0-or-later"),
        ("GPL-2.0", "GPL-2.0-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("AGPL-3.0", "AGPL-3.0-only"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("cecill-b AND etalab-2.0", "CECILL-B AND etalab-2.0"),
        ("gpl-3.0-or-later with classpath-exception-2.0", "GPL-3.0-or-later WITH Classpath-exception-2.0"),
        ("LicenseRef-Hopital-1.0 AND MIT", "LicenseRef-Hopital-1.0 AND MIT"),
        ("  MIT  ", "MIT"),
        ("noassertion", "NOASSERTION"),
    ],
)
def test_normalise_expression(text: str, expected: str) -> None:
    assert normalise_expression(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Foo-1.0", "Unknown SPDX licence identifier(s) in 'Foo-1.0': Foo-1.0."),
        ("MIT AND Bar", "Unknown SPDX licence identifier(s) in 'MIT AND Bar': Bar."),
        ("MIT AND (", "Invalid SPDX expression 'MIT AND (': Invalid expression."),
        ("", "The licence expression is empty."),
    ],
)
def test_invalid_expressions_raise_with_a_human_message(text: str, message: str) -> None:
    with pytest.raises(InvalidExpression) as caught:
        normalise_expression(text)
    assert caught.value.message == message
    assert str(caught.value) == message


def test_exception_misuse_is_invalid() -> None:
    with pytest.raises(InvalidExpression):
        normalise_expression("Classpath-exception-2.0")
    with pytest.raises(InvalidExpression):
        judge("MIT WITH GPL-2.0")


def test_authorised_list() -> None:
    assert AUTHORISED == {
        "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CECILL-B", "MIT", "CECILL-2.1", "CECILL-C",
        "GPL-3.0-or-later", "LGPL-3.0-or-later", "AGPL-3.0-or-later", "MPL-2.0", "EPL-2.0", "EUPL-1.2",
        "etalab-2.0", "ODbL-1.0",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "verdict"),
    [
        ("MIT", Verdict(True, "MIT figure sur la liste des licences autorisées", "MIT is on the authorised list")),
        (
            "GPL-2.0",
            Verdict(
                False,
                "GPL-2.0-only ne figure pas sur la liste des licences autorisées",
                "GPL-2.0-only is not on the authorised list",
            ),
        ),
        (
            "GPL-3.0",
            Verdict(
                True,
                "GPL-3.0-only est acceptée comme variante -only de GPL-3.0-or-later, qui figure sur la liste des licences autorisées",
                "GPL-3.0-only is accepted as the -only variant of GPL-3.0-or-later, which is on the authorised list",
            ),
        ),
        (
            "GPL-3.0+",
            Verdict(
                True,
                "GPL-3.0-or-later figure sur la liste des licences autorisées",
                "GPL-3.0-or-later is on the authorised list",
            ),
        ),
        (
            "MIT OR GPL-2.0-only",
            Verdict(
                True,
                "MIT figure sur la liste des licences autorisées (une alternative autorisée suffit)",
                "MIT is on the authorised list (one authorised alternative is enough)",
            ),
        ),
        (
            "GPL-2.0-only OR BUSL-1.1",
            Verdict(
                False,
                "GPL-2.0-only ne figure pas sur la liste des licences autorisées ; "
                "BUSL-1.1 ne figure pas sur la liste des licences autorisées",
                "GPL-2.0-only is not on the authorised list; BUSL-1.1 is not on the authorised list",
            ),
        ),
        (
            "MIT AND GPL-2.0-only",
            Verdict(
                False,
                "GPL-2.0-only ne figure pas sur la liste des licences autorisées",
                "GPL-2.0-only is not on the authorised list",
            ),
        ),
        (
            "CECILL-B AND etalab-2.0",
            Verdict(
                True,
                "CECILL-B figure sur la liste des licences autorisées ; etalab-2.0 figure sur la liste des licences autorisées",
                "CECILL-B is on the authorised list; etalab-2.0 is on the authorised list",
            ),
        ),
        (
            "GPL-3.0-or-later WITH Classpath-exception-2.0",
            Verdict(
                True,
                "GPL-3.0-or-later figure sur la liste des licences autorisées ; "
                "l'exception Classpath-exception-2.0 la laisse conforme",
                "GPL-3.0-or-later is on the authorised list; the exception Classpath-exception-2.0 keeps it compliant",
            ),
        ),
        (
            "GPL-2.0-only WITH Classpath-exception-2.0",
            Verdict(
                False,
                "GPL-2.0-only ne figure pas sur la liste des licences autorisées (exception Classpath-exception-2.0)",
                "GPL-2.0-only is not on the authorised list (exception Classpath-exception-2.0)",
            ),
        ),
        (
            "LicenseRef-Hopital-1.0",
            Verdict(
                False,
                "LicenseRef-Hopital-1.0 est une référence de licence non standard (LicenseRef-), "
                "absente de la liste des licences autorisées",
                "LicenseRef-Hopital-1.0 is a custom licence reference (LicenseRef-), not on the authorised list",
            ),
        ),
        (
            "(MIT OR GPL-2.0-only) AND LGPL-2.1+",
            Verdict(
                False,
                "LGPL-2.1-or-later ne figure pas sur la liste des licences autorisées",
                "LGPL-2.1-or-later is not on the authorised list",
            ),
        ),
        (
            "NOASSERTION",
            Verdict(
                False,
                "aucune licence n'a pu être déterminée (NOASSERTION)",
                "no licence could be determined (NOASSERTION)",
            ),
        ),
    ],
)
def test_judge(expression: str, verdict: Verdict) -> None:
    assert judge(expression) == verdict


def test_a_call_can_override_the_policy() -> None:
    assert judge("GPL-2.0-only", policy={"GPL-2.0-only"}).compliant is True
    assert judge("MIT", policy={"Apache-2.0"}) == Verdict(
        False, "MIT ne figure pas sur la liste des licences autorisées", "MIT is not on the authorised list"
    )


def test_every_authorised_id_and_gpl_only_variants_are_compliant() -> None:
    for spdx in sorted(AUTHORISED) + ["GPL-3.0-only", "LGPL-3.0-only", "AGPL-3.0-only"]:
        assert judge(spdx).compliant is True, spdx

"""The ranking CSV goes through the same cell neutralisation as every other CSV (registry.files.csv_cell)."""

from __future__ import annotations

import csv
import io

from registry.applications.tables import Application
from tests.conftest import login

PAYLOADS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


async def test_ranking_csv_neutralises_every_trigger(client, make_world):
    world = await make_world(applications=len(PAYLOADS), reviewers=2)
    for application, payload in zip(world.applications, PAYLOADS, strict=True):
        await Application.update({Application.title: payload, Application.public_title: payload}).where(
            Application.id == application.id)
    await login(client, world.manager.email)
    response = await client.get("/manage/reviews/calls/ami-test/ranking.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="classement-ami-test.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    by_id = {int(row["candidature"]): row for row in rows}
    assert len(by_id) == len(PAYLOADS)
    for application, payload in zip(world.applications, PAYLOADS, strict=True):
        row = by_id[application.id]
        assert (row["titre"], row["titre grand public"]) == ("'" + payload, "'" + payload)
        assert row["montant demandé"] == "50000"

"""Refusals logged before bodies were capped stay readable: the migration turns each old
row's kind, reason, document number and operations into its body text, keeps the first
``refusal_body_cap_bytes`` of it and the SHA-256 of the whole; going back restores the
operations of the bodies that were kept whole."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text
from support_reads import connect
from support_roles import owner_url

from service.db.migrate import upgrade
from service.settings import get_settings

pytestmark = pytest.mark.integration

SMALL_OPS = [{"op": "rezone", "parcel_code": "GX-0001", "land_use_code": "0701"}]
BIG_OPS = [
    {"op": "rezone", "parcel_code": f"GX-{i:06d}", "land_use_code": "0701"} for i in range(5000)
]


def _insert_old_refusal(url: str, *, reason: str, operations: list) -> None:
    # At revision 0004 there were no roles yet: the owner wrote everything.
    with connect(owner_url(url)) as conn:
        conn.execute(
            text(
                "INSERT INTO refusal (actor, kind, document_no, reason, error, detail, "
                "operations) VALUES ('old-editor', 'rezone', 'D-1', :reason, "
                "'invalid_change_set', '{}'::jsonb, CAST(:ops AS jsonb))"
            ),
            {"reason": reason, "ops": json.dumps(operations)},
        )
        conn.commit()


def _rows(url: str) -> list[dict]:
    with connect(url) as conn:
        return [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT reason, body, body_bytes, body_sha256, body_truncated FROM refusal "
                    "ORDER BY id"
                )
            ).mappings()
        ]


def test_old_refusals_become_capped_bodies_with_the_sha256_of_the_whole(empty_db_url):
    upgrade(owner_url(empty_db_url), "0004")
    _insert_old_refusal(empty_db_url, reason="small", operations=SMALL_OPS)
    _insert_old_refusal(empty_db_url, reason="big", operations=BIG_OPS)
    upgrade(owner_url(empty_db_url))

    small, big = _rows(empty_db_url)
    whole = small["body"].encode("utf-8")
    assert small["body_truncated"] is False
    assert (small["body_bytes"], small["body_sha256"]) == (
        len(whole),
        hashlib.sha256(whole).hexdigest(),
    )
    assert json.loads(small["body"]) == {
        "kind": "rezone",
        "reason": "small",
        "document_no": "D-1",
        "operations": SMALL_OPS,
    }

    cap = get_settings().refusal_body_cap_bytes
    assert big["body_truncated"] is True
    assert big["body_bytes"] > cap >= len(big["body"].encode("utf-8"))
    assert big["body"].startswith('{"kind":"rezone","reason":"big","document_no":"D-1"')


def test_downgrading_keeps_the_operations_of_bodies_kept_whole(empty_db_url):
    upgrade(owner_url(empty_db_url), "0004")
    _insert_old_refusal(empty_db_url, reason="small", operations=SMALL_OPS)
    upgrade(owner_url(empty_db_url))
    from alembic import command

    from service.db.migrate import alembic_config

    command.downgrade(alembic_config(owner_url(empty_db_url)), "0004")
    with connect(owner_url(empty_db_url)) as conn:
        operations = conn.execute(text("SELECT operations FROM refusal")).scalar_one()
    assert operations == SMALL_OPS

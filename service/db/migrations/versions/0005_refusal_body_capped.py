"""Refused bodies kept capped: the refusal log keeps a refused change set's body as text —
its first ``refusal_body_cap_bytes`` — with the whole body's length and SHA-256, instead of
its operations as jsonb (a 50 MB refused body cost 50 MB, and was served back whole).

Rows logged before: their kind, reason, document number and operations become the body
``{"kind":…,"reason":…,"document_no":…,"operations":[…]}`` (canonical JSON), capped and
hashed the same way, so they stay readable.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from service.settings import get_settings

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new columns and their types (NOT NULL once every old row has its body).
BODY_COLUMNS = {
    "body": sa.Text,
    "body_bytes": sa.BigInteger,
    "body_sha256": sa.Text,
    "body_truncated": sa.Boolean,
}


def upgrade() -> None:
    for name, type_ in BODY_COLUMNS.items():
        op.add_column("refusal", sa.Column(name, type_(), nullable=True))
    conn = op.get_bind()
    cap = get_settings().refusal_body_cap_bytes
    old = conn.execute(
        sa.text("SELECT id, kind, reason, document_no, operations FROM refusal")
    ).mappings()
    for row in list(old):
        conn.execute(
            sa.text(
                "UPDATE refusal SET body = :body, body_bytes = :bytes, "
                "body_sha256 = :sha256, body_truncated = :truncated WHERE id = :id"
            ),
            {"id": row["id"], **_capped(_old_body(row), cap)},
        )
    for name in BODY_COLUMNS:
        op.alter_column("refusal", name, nullable=False)
    op.drop_column("refusal", "operations")


def downgrade() -> None:
    op.add_column(
        "refusal",
        sa.Column(
            "operations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, body FROM refusal WHERE NOT body_truncated"))
    for refusal_id, body in list(rows):
        operations = _operations(body)
        if operations is not None:
            conn.execute(
                sa.text("UPDATE refusal SET operations = CAST(:ops AS jsonb) WHERE id = :id"),
                {"ops": json.dumps(operations, ensure_ascii=False), "id": refusal_id},
            )
    for name in BODY_COLUMNS:
        op.drop_column("refusal", name)


# The capping as it stood when this migration was written (service.changes.refusals does
# it for new rows); kept here so that this migration never changes.


def _old_body(row) -> bytes:
    body = {
        "kind": row["kind"],
        "reason": row["reason"],
        "document_no": row["document_no"],
        "operations": row["operations"],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _capped(whole: bytes, cap: int) -> dict:
    end = min(len(whole), cap)
    while 0 < end < len(whole) and end > cap - 3 and whole[end] & 0xC0 == 0x80:
        end -= 1  # leave out the character the cap would cut
    return {
        "body": whole[:end].decode("utf-8", errors="replace"),
        "bytes": len(whole),
        "sha256": hashlib.sha256(whole).hexdigest(),
        "truncated": len(whole) > cap,
    }


def _operations(body: str) -> list | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    operations = parsed.get("operations") if isinstance(parsed, dict) else None
    return operations if isinstance(operations, list) else None

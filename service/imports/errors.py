"""Why an import's apply is refused: one base class, a subclass per condition (the API maps
each to an HTTP status in its one table, ``service/api/errors.py``). The rule's own refusal
is :class:`parks.errors.ManufacturingLandWouldDecrease`, as for any change set."""

from __future__ import annotations

from typing import Any

from parks.errors import ParksError


class ImportRefused(ParksError):
    """An import that cannot be applied; nothing of it was stored."""

    code = "import_refused"

    def __init__(self, message: str, *, import_id: int) -> None:
        super().__init__(message)
        self.import_id = import_id

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "import_id": self.import_id, "message": self.message}


class ImportStale(ImportRefused):
    """The land changed since the dry run (the ledger moved on): what it showed is no longer
    what the apply would do."""

    code = "import_stale"

    def __init__(self, *, import_id: int, dry_run_seq: int, head_seq: int) -> None:
        super().__init__(
            f"land changed since the dry run (ledger row {dry_run_seq} → {head_seq}); "
            f"run the dry run again",
            import_id=import_id,
        )
        self.dry_run_seq = dry_run_seq
        self.head_seq = head_seq

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "dry_run_ledger_seq": self.dry_run_seq,
            "ledger_seq": self.head_seq,
        }


class ImportAlreadyApplied(ImportRefused):
    """The import was applied already (by its change set)."""

    code = "import_already_applied"

    def __init__(self, *, import_id: int, change_set_id: int | None) -> None:
        made = (
            f"as change set {change_set_id}"
            if change_set_id is not None
            else "(it changed nothing: no change set was recorded)"
        )
        super().__init__(f"import {import_id} was applied already {made}", import_id=import_id)
        self.change_set_id = change_set_id

    def body(self) -> dict[str, Any]:
        return {**super().body(), "change_set_id": self.change_set_id}


class ImportHasBlockingProblems(ImportRefused):
    """The file has blocking problems and ``skip_invalid`` was not asked for (or a problem of
    the whole file — a missing field, coordinates outside the CRS — cannot be skipped)."""

    code = "import_has_blocking_problems"

    def __init__(self, *, import_id: int, blocking: int, by_kind: dict[str, int]) -> None:
        kinds = ", ".join(f"{kind} {n}" for kind, n in by_kind.items())
        super().__init__(
            f"import {import_id} has {blocking} blocking problem(s) ({kinds}); fix the file, "
            "or run the dry run again with skip_invalid to import the rest",
            import_id=import_id,
        )
        self.blocking = blocking
        self.by_kind = by_kind

    def body(self) -> dict[str, Any]:
        return {**super().body(), "blocking": self.blocking, "by_kind": self.by_kind}

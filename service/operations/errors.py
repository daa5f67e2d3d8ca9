"""Why a backup or a restore cannot go on: one base class, a subclass per condition. Each
carries the exit code ``parks backup``/``parks restore`` end with (1: the backup or its
restore is not what it should be; 2: a usage error — where to write, what to restore into);
nothing here knows HTTP (there is no API for these)."""

from __future__ import annotations

from parks.errors import ParksError


class OperationsError(ParksError):
    """A backup or restore cannot be done as asked."""

    code = "operations_error"
    exit_code = 1


class BackupDirectoryError(OperationsError):
    """Where to write the backup (or read it from) is missing, not a directory, or already
    holds something."""

    code = "backup_directory"
    exit_code = 2


class ToolFailed(OperationsError):
    """``pg_dump`` or ``pg_restore`` is missing or failed; the message carries its last
    lines of output."""

    code = "tool_failed"


class BackupDamaged(OperationsError):
    """The manifest is missing or unreadable, or the manifest or the dump no longer match
    their SHA-256: nothing is restored from it."""

    code = "backup_damaged"


class TargetNotEmpty(OperationsError):
    """The database to restore into already holds tables, functions or schemas of its
    own."""

    code = "target_not_empty"
    exit_code = 2


class TargetNotReady(OperationsError):
    """The database to restore into lacks what only a superuser can give it (an extension,
    a role, its ownership), or the backup's schema is newer than this program knows."""

    code = "target_not_ready"
    exit_code = 2

"""Running the ledger for years: backups that prove themselves and restores that check
what they restored.

* :mod:`service.operations.backup` — ``parks backup``: PostgreSQL's own ``pg_dump`` (custom
  format, grants and owners included) of one REPEATABLE READ snapshot, and beside it a
  manifest of what that same snapshot held;
* :mod:`service.operations.restore` — ``parks restore``: the dump's checksum checked, then
  ``pg_restore`` into an empty database, the schema migrated if it is older, the audit's
  verification run, and what the restored database holds compared with the manifest;
* :mod:`service.operations.facts` — what a backup states and a restore checks (schema
  version, ledger head, totals, row counts, grants), read by the existing audit and read
  code;
* :mod:`service.operations.manifest` — the manifest file: writing, reading, its own
  checksum, and the comparison that names every difference;
* :mod:`service.operations.pgtools` — running ``pg_dump`` and ``pg_restore`` on a
  SQLAlchemy URL; :mod:`service.operations.record` — the table ``backup_record``.
"""

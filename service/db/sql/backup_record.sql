-- The record of backups taken (`parks backup`, service/operations/backup.py): written by the
-- schema's owner, who takes the backups (pg_dump must read every table); read by the
-- service (the age of the last backup, on /metrics) and by the auditor. Nobody else.
-- Re-runnable. privileges.sql, when it runs again, grants the same: SELECT for the
-- service and the auditor, nothing more.

REVOKE ALL ON backup_record FROM PUBLIC;
REVOKE ALL ON SEQUENCE backup_record_id_seq FROM PUBLIC;
DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_app') THEN
        REVOKE ALL ON backup_record FROM parks_app;
        GRANT SELECT ON backup_record TO parks_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_auditor') THEN
        REVOKE ALL ON backup_record FROM parks_auditor;
        GRANT SELECT ON backup_record TO parks_auditor;
    END IF;
END
$grants$;

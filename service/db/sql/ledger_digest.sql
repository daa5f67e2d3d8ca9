-- The listing of signed ledger digests (service/audit/digests.py): append-only, like the
-- ledger. Its rows are trusted by nobody without the public key (the signed files are
-- the record); they let the service show which digests were taken and whether the
-- ledger still carries what each signed.

CREATE TRIGGER ledger_digest_append_only BEFORE UPDATE OR DELETE ON ledger_digest
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the digests taken are kept as taken');
CREATE TRIGGER ledger_digest_no_truncate BEFORE TRUNCATE ON ledger_digest
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the digests taken are kept as taken');

-- The service lists them and `parks audit digest` (as the service's role) adds them; the
-- auditor reads them. Nobody else.
REVOKE ALL ON ledger_digest FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger_digest_id_seq FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_digest TO parks_app;
GRANT USAGE ON SEQUENCE ledger_digest_id_seq TO parks_app;
GRANT SELECT ON ledger_digest TO parks_auditor;

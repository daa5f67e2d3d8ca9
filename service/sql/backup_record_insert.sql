-- One backup taken (service/operations/record.py), recorded by the schema's owner once its
-- dump is complete.
INSERT INTO backup_record (taken_at, location, dump_sha256, dump_bytes, ledger_seq,
                           ledger_hash, schema_version)
VALUES (:taken_at, :location, :dump_sha256, :dump_bytes, :ledger_seq, :ledger_hash,
        :schema_version)
RETURNING id;

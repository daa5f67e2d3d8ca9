-- A digest just taken, listed in the database (the signed file is the record that counts).
INSERT INTO ledger_digest (taken_at, seq, hash, key_id, document, signature)
VALUES (:taken_at, :seq, :hash, :key_id, CAST(:document AS jsonb), :signature)
RETURNING id;

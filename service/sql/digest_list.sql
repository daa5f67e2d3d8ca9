-- The digests taken, newest first (:after: the id the previous page ended at; :to_at: only
-- those taken by then), each with whether the ledger row it signed still carries the hash
-- it signed.
SELECT d.id, d.taken_at, d.seq, d.hash, d.key_id, l.hash AS ledger_hash,
       coalesce(l.hash = d.hash, false) AS matches_ledger,
       jsonb_array_length(d.document -> 'rows') AS rows_signed
  FROM ledger_digest d
  LEFT JOIN ledger l ON l.seq = d.seq
 WHERE (CAST(:after AS bigint) IS NULL OR d.id < :after)
   AND (CAST(:to_at AS timestamptz) IS NULL OR d.taken_at <= :to_at)
 ORDER BY d.id DESC
 LIMIT :limit;

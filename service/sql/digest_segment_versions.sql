-- The parcel versions of one digest's segment: those made by the change sets :change_set_ids
-- (of the ledger rows the digest lists), in ascending version id, with their fingerprint.
-- (The ids are given, not joined from the ledger: a join was planned as a scan of every
-- version, where the index on change_set_id reads only the new ones.)
SELECT v.version_id, v.content_sha256
  FROM parcel_version v
 WHERE v.change_set_id = ANY(CAST(:change_set_ids AS bigint[]))
 ORDER BY v.version_id;

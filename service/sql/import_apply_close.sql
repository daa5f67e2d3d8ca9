-- The apply, 1 of 3: end the standing versions the import replaces — the codes it changes
-- and, with retire_missing, the missing codes it retires — at the change set's moment.
-- (The history guard stamps valid_to and ended_by_change_set_id from the change set of
-- this transaction; they are written here too, so the statement says what it does.)
UPDATE parcel_version v
   SET valid_to = :at, ended_by_change_set_id = :change_set_id
 WHERE v.valid_to IS NULL
   AND (v.parcel_code IN (SELECT f.parcel_code FROM import_feature f
                           WHERE f.import_id = :import_id AND f.verdict = 'changed'
                             AND NOT f.skipped)
        OR v.parcel_code = ANY(CAST(:retire AS text[])));

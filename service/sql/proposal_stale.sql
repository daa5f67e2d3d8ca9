-- The parcel codes of a proposal's basis that no longer are what it found (service/
-- proposals/staleness.py): a code it found standing whose standing version is another one
-- (or none), and a code it would create that has been used since (a version, or lineage).
SELECT b.key AS parcel_code
  FROM jsonb_each(CAST(:basis AS jsonb)) b
 WHERE CASE WHEN jsonb_typeof(b.value) = 'null' THEN
            EXISTS (SELECT 1 FROM parcel_version v WHERE v.parcel_code = b.key)
            OR EXISTS (SELECT 1 FROM parcel_lineage l
                        WHERE l.parent_code = b.key OR l.child_code = b.key)
       ELSE NOT EXISTS (SELECT 1 FROM parcel_version v
                         WHERE v.parcel_code = b.key AND v.valid_to IS NULL
                           AND v.version_id = (b.value #>> '{}')::bigint)
       END
 ORDER BY b.key;

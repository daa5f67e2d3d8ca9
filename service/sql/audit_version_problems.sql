-- Parcel versions whose stored fingerprint no longer matches their content, or whose
-- period disagrees with the change sets that made and ended them. (Filtered first, in a
-- materialised step: with the ORDER BY ... LIMIT on top the planner picked a slow plan.)
WITH suspect AS MATERIALIZED (
    SELECT v.version_id, v.parcel_code,
           CASE WHEN v.content_sha256 IS DISTINCT FROM parcel_version_fingerprint(v)
                THEN 'fingerprint'
                WHEN v.valid_from <> made.committed_at THEN 'valid_from'
                ELSE 'valid_to' END AS problem,
           v.valid_from, made.committed_at AS made_at, v.valid_to,
           ended.committed_at AS ended_at
      FROM parcel_version v
      JOIN change_set made ON made.id = v.change_set_id
      LEFT JOIN change_set ended ON ended.id = v.ended_by_change_set_id
     WHERE v.content_sha256 IS DISTINCT FROM parcel_version_fingerprint(v)
        OR v.valid_from <> made.committed_at
        OR (v.valid_to IS NOT NULL AND v.valid_to IS DISTINCT FROM ended.committed_at)
)
SELECT * FROM suspect ORDER BY version_id LIMIT 1000;

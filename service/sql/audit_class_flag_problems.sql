-- The land-use classes' flag history, checked for what the re-derivation of the ledger
-- relies on (service/sql/audit_recomputed_deltas.sql): every class's flags cover all time
-- without a gap — the first in force since '-infinity', each next one from where the
-- previous ended —, a flag a change set set is in force from that change set's time, and
-- the flag in force now is the class table's. One row per problem:
--   problem   'current' | 'start' | 'gap' | 'dated'
--   code      the land-use class
--   expected, found   what it should be and what it is (text).
WITH h AS (
    SELECT f.code, f.is_manufacturing, f.valid_from, f.valid_to, f.change_set_id,
           c.committed_at,
           lag(f.valid_to) OVER w AS previous_to,
           row_number() OVER w AS n
      FROM land_use_class_flag f
      LEFT JOIN change_set c ON c.id = f.change_set_id
    WINDOW w AS (PARTITION BY f.code ORDER BY f.valid_from)
)
SELECT 'current' AS problem, k.code, k.is_manufacturing::text AS expected,
       coalesce(f.is_manufacturing::text, 'no flag in force') AS found
  FROM land_use_class k
  LEFT JOIN land_use_class_flag f ON f.code = k.code AND f.valid_to IS NULL
 WHERE f.is_manufacturing IS DISTINCT FROM k.is_manufacturing
UNION ALL
SELECT 'start', code, '-infinity', valid_from::text
  FROM h WHERE n = 1 AND valid_from <> '-infinity'
UNION ALL
SELECT 'gap', code, previous_to::text, valid_from::text
  FROM h WHERE n > 1 AND valid_from IS DISTINCT FROM previous_to
UNION ALL
SELECT 'dated', code, coalesce(committed_at::text, 'a change set'), valid_from::text
  FROM h WHERE n > 1 AND valid_from IS DISTINCT FROM committed_at
ORDER BY 2, 1;

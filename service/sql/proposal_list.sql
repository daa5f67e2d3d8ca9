-- A page of proposals, newest first, and how many match the filters (service/proposals/
-- store.py). Always one row at least: the count, with nulls when the page is empty.
WITH matched AS (
    SELECT *
      FROM proposal
     WHERE (CAST(:status AS text) IS NULL OR status = :status)
       AND (CAST(:park AS text) IS NULL OR :park = ANY(parks))
       AND (CAST(:proposed_by AS text) IS NULL OR proposed_by = :proposed_by)
), page AS (
    SELECT id, status, kind, reason, document_no, parks, proposed_by, proposed_at,
           decided_by, decided_at, decision_reason, change_set_id,
           dry_run -> 'manufacturing' AS manufacturing, dry_run ->> 'verdict' AS verdict,
           jsonb_array_length(request -> 'operations') AS operation_count
      FROM matched
     ORDER BY proposed_at DESC, id DESC
     LIMIT :limit OFFSET :offset
)
SELECT t.total, p.*
  FROM (SELECT count(*) AS total FROM matched) t
  LEFT JOIN page p ON true
 ORDER BY p.proposed_at DESC, p.id DESC;

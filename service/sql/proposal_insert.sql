-- A new proposal with its dry run and basis (service/proposals/store.py).
INSERT INTO proposal (kind, reason, document_no, request, parks, basis, dry_run, proposed_by)
VALUES (:kind, :reason, :document_no, CAST(:request AS jsonb), :parks, CAST(:basis AS jsonb),
        CAST(:dry_run AS jsonb), :proposed_by)
RETURNING id;

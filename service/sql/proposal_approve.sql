-- A proposal approved: applied as change set :change_set_id (service/proposals/approve.py),
-- with the document number the approval gave.
UPDATE proposal
   SET status = 'approved', decided_by = :decided_by, decided_at = :decided_at,
       change_set_id = :change_set_id, document_no = :document_no
 WHERE id = :id AND status = 'open';

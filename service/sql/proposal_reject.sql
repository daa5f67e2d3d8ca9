-- A proposal rejected by an approver, or withdrawn by its proposer (decided_by is then the
-- proposer) — service/proposals/approve.py.
UPDATE proposal
   SET status = 'rejected', decided_by = :decided_by, decided_at = now(),
       decision_reason = :reason
 WHERE id = :id AND status = 'open';

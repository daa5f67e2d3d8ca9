-- One change set with its ledger row.
SELECT c.id, c.kind, c.reason, c.document_no, c.actor, c.committed_at, c.operations,
       c.effects, c.proposal_id, c.proposed_by, c.proposed_at, l.seq AS ledger_seq, l.delta_city_m2, l.total_city_m2, l.delta_parks,
       l.total_parks, l.hash
  FROM change_set c
  LEFT JOIN ledger l ON l.change_set_id = c.id
 WHERE c.id = :id;

-- This transaction's change in manufacturing land per park, as the rule's triggers
-- collected it (rule_pending).
SELECT park, sum(delta_m2) AS delta_m2
  FROM rule_pending
 WHERE txid = txid_current()
 GROUP BY park
 ORDER BY park;

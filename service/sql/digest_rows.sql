-- The ledger rows a digest lists: those after the previous digest's head up to its own,
-- with the change set each recorded (whose versions make the digest's history segment).
SELECT seq, hash, change_set_id
  FROM ledger
 WHERE seq > :after_seq AND seq <= :head_seq
 ORDER BY seq;

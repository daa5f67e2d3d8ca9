-- The version of the data tiles are made from, as this database has it (on a replica:
-- what it has replayed): the ledger's sequence, map_data_epoch and, for a layer that
-- shows what is in force today (:dated), the date. service/maps/tiles.py reads it alone
-- (a replica's lookup) and in the same SELECT as a tile it makes (the tile's own key).
SELECT h.last_seq,
       e.epoch,
       CASE WHEN :dated THEN current_date END AS day
  FROM ledger_head h
 CROSS JOIN map_data_epoch e
 WHERE h.id AND e.id;

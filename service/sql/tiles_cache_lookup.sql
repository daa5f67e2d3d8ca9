-- The version of the data a tile of :layer is made from, and the tile already made from
-- it, if any (service/maps/tiles.py; table tile_cache, migration 0008), in one round trip.
-- The version is the ledger's sequence (every transaction that changes a parcel appends a
-- ledger row), map_data_epoch (raised by every change of the other tables tiles are made
-- from) and, for a layer that shows what is in force today (:dated), the date.
SELECT h.last_seq,
       e.epoch,
       CASE WHEN :dated THEN current_date END AS day,
       t.body_gzip,
       t.size_bytes,
       t.sha1
  FROM ledger_head h
 CROSS JOIN map_data_epoch e
  LEFT JOIN tile_cache t
         ON t.layer = :layer AND t.z = :z AND t.x = :x AND t.y = :y
        AND t.park = :park AND t.srid = :srid
        AND t.version = h.last_seq || '.' || e.epoch
                        || CASE WHEN :dated THEN '.' || current_date ELSE '' END
 WHERE h.id AND e.id;

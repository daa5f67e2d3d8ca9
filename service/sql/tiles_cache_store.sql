-- Keep a made tile (gzipped) under the version of the data it was made from. Two workers
-- that made the same tile at once keep the first.
INSERT INTO tile_cache (layer, z, x, y, park, srid, version, ledger_seq, epoch, day,
                        body_gzip, size_bytes, sha1)
VALUES (:layer, :z, :x, :y, :park, :srid, :version, :ledger_seq, :epoch, :day,
        :body_gzip, :size_bytes, :sha1)
ON CONFLICT DO NOTHING;

-- A tile already made from the data at :version (service/maps/tiles.py), looked up in the
-- primary's tile_cache for a read served by a replica: the version is the one the replica
-- has replayed (tiles_data_version.sql), never the primary's.
SELECT body_gzip, size_bytes, sha1
  FROM tile_cache
 WHERE layer = :layer AND z = :z AND x = :x AND y = :y
   AND park = :park AND srid = :srid AND version = :version;

-- OGC API collection of one context layer (:src_layer; service/ogc/registry.py): its
-- features with their name, kind, park and the columns their file brought (properties).
SELECT f.id,
       f.layer,
       f.park,
       f.name,
       f.kind,
       f.properties,
       f.geom
  FROM context_feature f
 WHERE f.layer = :src_layer

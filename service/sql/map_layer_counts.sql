-- How many features each context layer has (of :park, or of every park when it is NULL):
-- the map embeds a layer as GeoJSON up to a threshold and draws it from vector tiles above.
-- (Parcels, buildings and projects are counted by the key figures, service/reads/queries.py.)
SELECT 'context:' || l.name AS layer, count(f.id) AS n
  FROM context_layer l
  LEFT JOIN context_feature f
    ON f.layer = l.name AND (CAST(:park AS text) IS NULL OR f.park = :park)
 GROUP BY l.name;

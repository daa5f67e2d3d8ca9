-- The outlines of the parks an import report's map shows: code and boundary as GeoJSON
-- geometry text in EPSG:4326 (RFC 7946), coordinates to :precision decimals.
SELECT p.code,
       ST_AsGeoJSON(ST_Transform(p.boundary, 4326), :precision) AS geometry
  FROM park p
 WHERE p.code = ANY(:parks)
 ORDER BY p.code;

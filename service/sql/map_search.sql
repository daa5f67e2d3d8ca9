-- The map's search box: current parcels whose code or holder, and key projects whose code
-- or name, contain :pattern (an ILIKE pattern), codes that start with it first; each with
-- a point inside it and its extent in EPSG:4326. :park (or NULL) narrows to one park.
WITH parcels AS (
    SELECT 'parcel' AS kind, v.parcel_code AS code, v.park,
           v.parcel_code || coalesce(' · ' || v.holder, '') AS title,
           v.parcel_code ILIKE :prefix AS starts, v.geom
      FROM parcel_version v
     WHERE v.valid_to IS NULL
       AND (CAST(:park AS text) IS NULL OR v.park = :park)
       AND (v.parcel_code ILIKE :pattern OR v.holder ILIKE :pattern)
     ORDER BY starts DESC, v.parcel_code
     LIMIT :limit
), projects AS (
    SELECT 'project' AS kind, p.project_code AS code, p.park,
           p.name || ' · ' || p.project_code AS title,
           p.project_code ILIKE :prefix AS starts,
           (SELECT ST_Union(v.geom)
              FROM project_parcel pp
              JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
             WHERE pp.project_code = p.project_code) AS geom
      FROM project p
     WHERE (CAST(:park AS text) IS NULL OR p.park = :park)
       AND (p.project_code ILIKE :pattern OR p.name ILIKE :pattern)
     ORDER BY starts DESC, p.project_code
     LIMIT :limit
), hits AS (
    SELECT * FROM projects WHERE geom IS NOT NULL
    UNION ALL
    SELECT * FROM parcels
)
SELECT kind, code, park, title,
       ST_X(ST_Transform(ST_PointOnSurface(geom), 4326)) AS lon,
       ST_Y(ST_Transform(ST_PointOnSurface(geom), 4326)) AS lat,
       ST_XMin(b) AS minlon, ST_YMin(b) AS minlat, ST_XMax(b) AS maxlon, ST_YMax(b) AS maxlat
  FROM hits, LATERAL (SELECT ST_Transform(ST_Envelope(geom), 4326)::box2d AS b) e
 ORDER BY starts DESC, kind DESC, code
 LIMIT :limit;

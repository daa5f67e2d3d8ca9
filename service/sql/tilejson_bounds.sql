-- The lon/lat box (EPSG:4326) of the features of one tile layer (:kind = parcels, buildings,
-- projects, parks or context, then :layer names the context layer), of one park when :park
-- is given; no row's values when the layer is empty. Only the branch of :kind runs (its
-- one-time filter is false in the others). The box is taken in the storage CRS (:srid) and
-- its outline, given points to bend at, is transformed: a planar box's edges are curves
-- in longitude and latitude.
WITH source AS (
    SELECT v.geom
      FROM parcel_version v
     WHERE :kind = 'parcels' AND v.valid_to IS NULL
       AND (CAST(:park AS text) IS NULL OR v.park = CAST(:park AS text))
    UNION ALL
    SELECT fb.footprint
      FROM factory_building fb
     WHERE :kind = 'buildings' AND (CAST(:park AS text) IS NULL OR fb.park = CAST(:park AS text))
    UNION ALL
    SELECT v.geom
      FROM project p
      JOIN project_parcel pp USING (project_code)
      JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
     WHERE :kind = 'projects' AND (CAST(:park AS text) IS NULL OR p.park = CAST(:park AS text))
    UNION ALL
    SELECT p.boundary
      FROM park p
     WHERE :kind = 'parks' AND (CAST(:park AS text) IS NULL OR p.code = CAST(:park AS text))
    UNION ALL
    SELECT f.geom
      FROM context_feature f
     WHERE :kind = 'context' AND f.layer = :layer
       AND (CAST(:park AS text) IS NULL OR f.park = CAST(:park AS text))
), box AS (
    SELECT ST_SetSRID(ST_Extent(geom)::geometry, :srid) AS planar FROM source
), lonlat AS (
    SELECT ST_Transform(
               ST_Segmentize(planar, greatest(ST_XMax(planar) - ST_XMin(planar),
                                              ST_YMax(planar) - ST_YMin(planar), 1) / 16),
               4326) AS g
      FROM box
     WHERE planar IS NOT NULL
)
SELECT ST_XMin(g) AS west, ST_YMin(g) AS south, ST_XMax(g) AS east, ST_YMax(g) AS north
  FROM lonlat;

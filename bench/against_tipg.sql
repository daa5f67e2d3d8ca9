-- What tipg serves in bench/against_tipg.py, created in the bench's own copy of the
-- 100,000-parcel database only (never by the product's migrations). tipg is told to expose
-- the schema bench_tipg and nothing else.

CREATE SCHEMA bench_tipg;

-- The current parcels with the properties GET /api/parcels gives each feature.
CREATE VIEW bench_tipg.current_parcel AS
SELECT v.parcel_code,
       v.park,
       v.land_use_code,
       c.name_zh AS land_use_name,
       c.name_en AS land_use_name_en,
       c.is_manufacturing,
       v.status,
       v.holder,
       v.supply_mode,
       v.supplied_on,
       round(v.area_m2::numeric, 2)::float8 AS area_m2,
       round((v.area_m2 * 15 / 10000)::numeric, 4)::float8 AS area_mu,
       round((v.area_m2 / 10000)::numeric, 4)::float8 AS area_ha,
       v.valid_from,
       v.change_set_id,
       v.geom
  FROM public.parcel_version v
  JOIN public.land_use_class c ON c.code = v.land_use_code
 WHERE v.valid_to IS NULL;

-- The availability question the bench asks both services: current parcels of one park,
-- status reserve or ready, class 06 or one of its subclasses, area between min_mu and
-- max_mu, whose edge is within near_m of a main road; ranked as GET /api/availability
-- ranks (service/planning/availability.py): score = 0.5 * min(1, min_area / area)
-- + 0.5 * max(0, 1 - distance / near_m), highest first, ties by parcel code in code-point
-- order; the best `top` of them (as our search's limit). Written to be quick under tipg:
-- inlined into tipg's query (one SELECT, STABLE), the park a plain equality (tipg's
-- prepared statements may run with a generic plan), each distance computed once, the
-- geometry transformed for the chosen rows only. tipg orders a function's rows by its
-- "id" column: the rank. The geometry is returned in EPSG:4326 (tipg takes a function's
-- geometry to be in it).
CREATE FUNCTION bench_tipg.availability(
    park text,
    min_mu double precision DEFAULT 0,
    max_mu double precision DEFAULT 1e9,
    near_m double precision DEFAULT 500,
    top integer DEFAULT 50
) RETURNS TABLE (
    id integer,
    parcel_code text,
    park_code text,
    land_use_code text,
    status text,
    area_m2 double precision,
    area_mu double precision,
    distance_m double precision,
    area_fit double precision,
    closeness double precision,
    score double precision,
    geom geometry
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH candidate AS MATERIALIZED (
        SELECT v.version_id, v.parcel_code, v.park, v.land_use_code, v.status, v.area_m2,
               d.distance_m
          FROM public.parcel_version v
          JOIN public.land_use_class c ON c.code = v.land_use_code
         CROSS JOIN LATERAL (
                SELECT min(ST_Distance(v.geom, f.geom)) AS distance_m
                  FROM public.context_feature f
                 WHERE f.layer = 'roads' AND f.kind = 'main'
                   AND ST_DWithin(v.geom, f.geom, availability.near_m)
               ) d
         WHERE v.valid_to IS NULL
           AND v.park = availability.park
           AND v.status IN ('reserve', 'ready')
           AND (v.land_use_code = '06' OR c.parent_code = '06')
           AND v.area_m2 >= availability.min_mu * 10000 / 15
           AND v.area_m2 <= availability.max_mu * 10000 / 15
    ), scored AS (
        SELECT *, 0.5 * fit + 0.5 * near AS score
          FROM (SELECT *,
                       CASE WHEN availability.min_mu > 0
                            THEN least(1.0, availability.min_mu * 10000 / 15 / area_m2)
                            ELSE 1.0 END AS fit,
                       CASE WHEN availability.near_m = 0 THEN 1.0
                            ELSE greatest(0.0, 1.0 - distance_m / availability.near_m) END
                         AS near
                  FROM candidate
                 WHERE distance_m IS NOT NULL) s
         ORDER BY 0.5 * fit + 0.5 * near DESC, parcel_code COLLATE "C"
         LIMIT availability.top
    )
    SELECT row_number() OVER (ORDER BY s.score DESC, s.parcel_code COLLATE "C")::integer,
           s.parcel_code, s.park, s.land_use_code, s.status,
           round(s.area_m2::numeric, 2)::float8,
           round((s.area_m2 * 15 / 10000)::numeric, 4)::float8,
           round(s.distance_m::numeric, 2)::float8,
           round(s.fit::numeric, 4)::float8,
           round(s.near::numeric, 4)::float8,
           round(s.score::numeric, 4)::float8,
           ST_Transform(v.geom, 4326)
      FROM scored s
      JOIN public.parcel_version v ON v.version_id = s.version_id
$$;

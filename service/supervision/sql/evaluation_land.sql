-- Each enterprise's land for the 亩均效益 evaluation, one row per enterprise with land:
-- the parcels it holds (codes, m²), the floor it leases (m²) and that floor's land share
-- (m²), and its main park (where most of its land is; ties: the first park code).
-- The CTE "item" is evaluation_land_items.sql, put in by the caller (same parameters).
WITH item AS (
{items}
), by_park AS (
    SELECT enterprise_code, park, sum(coalesce(land_m2, 0)) AS land_m2, sum(coalesce(leased_m2, 0)) AS leased_m2
      FROM item
     GROUP BY enterprise_code, park
), main AS (
    SELECT DISTINCT ON (enterprise_code) enterprise_code, park
      FROM by_park
     ORDER BY enterprise_code, land_m2 DESC, leased_m2 DESC, park
)
SELECT i.enterprise_code, m.park,
       coalesce(sum(i.land_m2) FILTER (WHERE i.kind = 'parcel'), 0) AS parcel_m2,
       coalesce(sum(i.land_m2) FILTER (WHERE i.kind = 'lease'), 0) AS floor_land_m2,
       coalesce(sum(i.leased_m2) FILTER (WHERE i.kind = 'lease'), 0) AS leased_floor_m2,
       coalesce(array_agg(i.item ORDER BY i.item) FILTER (WHERE i.kind = 'parcel'),
                CAST('{}' AS text[])) AS parcels
  FROM item i
  JOIN main m USING (enterprise_code)
 GROUP BY i.enterprise_code, m.park

-- OGC API collections `parcels` and `parcel_versions` (service/ogc/registry.py): every
-- parcel version with the API's properties (as /api/parcels spells them) and its period.
-- The items query (ogc_items.sql) wraps this as a subquery (PostgreSQL flattens it, so
-- its filters reach parcel_version's indexes): `parcels` adds "valid_to IS NULL" (or the
-- moment asked for), `parcel_versions` takes every version. Areas are the stored planar
-- areas in the storage CRS, whatever CRS the coordinates go out in. The class is a LEFT
-- JOIN (every version has one: a foreign key) so that a count, which needs none of its
-- columns, leaves it out.
SELECT v.version_id,
       v.parcel_code,
       v.park,
       v.land_use_code,
       c.name_zh AS land_use_name,
       c.name_en AS land_use_name_en,
       c.is_manufacturing,
       v.status,
       v.holder,
       v.supply_mode,
       v.supplied_on,
       round(v.area_m2::numeric, 2) AS area_m2,
       round(m2_to_mu(v.area_m2)::numeric, 4) AS area_mu,
       round((v.area_m2 / 10000)::numeric, 4) AS area_ha,
       v.valid_from,
       v.valid_to,
       v.change_set_id,
       v.ended_by_change_set_id,
       v.geom
  FROM parcel_version v
  LEFT JOIN land_use_class c ON c.code = v.land_use_code

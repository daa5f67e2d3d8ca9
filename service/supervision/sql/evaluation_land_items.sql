-- The 亩均效益 evaluation's land: each enterprise's parcels and leased standard-factory
-- floor, one row per parcel or lease (service/supervision/evaluation.py).
--   :at               the moment the parcels are read at (the year's end, timestamptz)
--   :on               the day the leases must be in force on (the year's last day)
--   :enterprise_code  one enterprise, or NULL for every standing one
-- A parcel counts for the enterprise whose (standing) name is the parcel version's holder
-- at :at; a lease for the enterprise named as its tenant. A lease's land share is its
-- floor ÷ the plot ratio of the building's parcel, where that plot ratio is the floor of
-- every standard factory building on the parcel ÷ the parcel's area at :at — so the
-- shares of a parcel's fully let floor add up to the parcel, never more. A lease whose
-- building's parcel does not stand at :at has no land share (NULL). Areas m², EPSG:4545.
WITH ent AS (
    SELECT enterprise_code, name
      FROM enterprise
     WHERE valid_to IS NULL
       AND (CAST(:enterprise_code AS text) IS NULL
            OR enterprise_code = CAST(:enterprise_code AS text))
), standing AS (
    SELECT parcel_code, park, holder, area_m2
      FROM parcel_version
     WHERE valid_from <= CAST(:at AS timestamptz)
       AND (valid_to IS NULL OR valid_to > CAST(:at AS timestamptz))
       AND holder IS NOT NULL
), building AS (
    SELECT b.building_code, b.park, b.parcel_code, b.floor_area_m2, p.area_m2 AS parcel_area_m2,
           sum(b.floor_area_m2) OVER (PARTITION BY b.parcel_code) AS parcel_floor_m2
      FROM factory_building b
      LEFT JOIN parcel_version p
        ON p.parcel_code = b.parcel_code
       AND p.valid_from <= CAST(:at AS timestamptz)
       AND (p.valid_to IS NULL OR p.valid_to > CAST(:at AS timestamptz))
)
SELECT e.enterprise_code, 'parcel' AS kind, s.parcel_code AS item, s.park, s.parcel_code,
       s.area_m2 AS land_m2, s.area_m2 AS parcel_area_m2,
       CAST(NULL AS double precision) AS leased_m2, CAST(NULL AS text) AS building_code,
       CAST(NULL AS smallint) AS floor, CAST(NULL AS double precision) AS floor_area_m2,
       CAST(NULL AS double precision) AS plot_ratio,
       CAST(NULL AS date) AS start_date, CAST(NULL AS date) AS end_date
  FROM ent e
  JOIN standing s ON s.holder = e.name
UNION ALL
SELECT e.enterprise_code, 'lease', l.lease_id, b.park, b.parcel_code,
       l.leased_m2 * b.parcel_area_m2 / b.parcel_floor_m2, b.parcel_area_m2,
       l.leased_m2, b.building_code, l.floor, b.floor_area_m2,
       b.parcel_floor_m2 / b.parcel_area_m2, l.start_date, l.end_date
  FROM ent e
  JOIN lease l ON l.tenant = e.name AND lease_in_force_on(l.start_date, l.end_date, CAST(:on AS date))
  JOIN building b ON b.building_code = l.building_code

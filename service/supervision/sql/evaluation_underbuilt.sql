-- Standing supply contracts whose latest completion acceptance (竣工验收) on or before :on
-- measured a plot ratio below the contract's minimum (用而未尽), with the parcel's area
-- at :at (NULL when the parcel does not stand then). Areas m², EPSG:4545.
WITH completion AS (
    SELECT DISTINCT ON (c.contract_no)
           c.contract_no, c.parcel_code, c.park, c.holder, c.land_area_m2,
           CAST(c.plot_ratio_min AS double precision) AS plot_ratio_min,
           CAST(p.plot_ratio AS double precision) AS plot_ratio
      FROM supply_contract c
      JOIN site_progress p
        ON p.contract_no = c.contract_no AND p.valid_to IS NULL
       AND p.kind = 'completion' AND p.reported_on <= CAST(:on AS date)
     WHERE c.valid_to IS NULL AND c.plot_ratio_min IS NOT NULL
     ORDER BY c.contract_no, p.reported_on DESC
)
SELECT c.contract_no, c.parcel_code, coalesce(v.park, c.park) AS park,
       coalesce(v.holder, c.holder) AS holder, coalesce(v.area_m2, c.land_area_m2) AS area_m2,
       c.plot_ratio_min, c.plot_ratio
  FROM completion c
  LEFT JOIN parcel_version v
    ON v.parcel_code = c.parcel_code
   AND v.valid_from <= CAST(:at AS timestamptz)
   AND (v.valid_to IS NULL OR v.valid_to > CAST(:at AS timestamptz))
 WHERE c.plot_ratio IS NOT NULL AND c.plot_ratio < c.plot_ratio_min
 ORDER BY c.parcel_code, c.contract_no

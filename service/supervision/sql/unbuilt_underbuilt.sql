-- 用而未尽: standing supply contracts (in :park, when given) whose latest standing
-- completion acceptance (竣工验收) dated on or before :as_of measured a plot ratio below
-- the contract's minimum (numeric, compared exactly). Areas are planar m² (EPSG:4545).
SELECT c.contract_no,
       c.parcel_code,
       c.park,
       c.holder,
       c.enterprise_code,
       c.land_area_m2,
       c.plot_ratio_min,
       c.plot_ratio_max,
       done.reported_on AS completed_on,
       done.plot_ratio
FROM supply_contract c
JOIN LATERAL (
    SELECT p.reported_on, p.plot_ratio
    FROM site_progress p
    WHERE p.valid_to IS NULL
      AND p.contract_no = c.contract_no
      AND p.kind = 'completion'
      AND p.reported_on <= :as_of
    ORDER BY p.reported_on DESC
    LIMIT 1
) done ON true
WHERE c.valid_to IS NULL
  AND c.signed_on <= :as_of
  AND (CAST(:park AS text) IS NULL OR c.park = CAST(:park AS text))
  AND c.plot_ratio_min IS NOT NULL
  AND done.plot_ratio IS NOT NULL
  AND done.plot_ratio < c.plot_ratio_min
ORDER BY c.plot_ratio_min - done.plot_ratio DESC, c.contract_no

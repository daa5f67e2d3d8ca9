-- 供而未用: standing supply contracts (in :park, when given) whose agreed start date
-- (约定动工日期) is before :as_of and that have no standing start (实际动工) or completion
-- report dated on or before :as_of. Areas are planar m² (EPSG:4545).
SELECT c.contract_no,
       c.parcel_code,
       c.park,
       c.holder,
       c.enterprise_code,
       c.supply_mode,
       c.signed_on,
       c.agreed_start_on,
       c.agreed_completion_on,
       c.land_area_m2,
       c.price_wan
FROM supply_contract c
WHERE c.valid_to IS NULL
  AND c.signed_on <= :as_of
  AND c.agreed_start_on < :as_of
  AND (CAST(:park AS text) IS NULL OR c.park = CAST(:park AS text))
  AND NOT EXISTS (
      SELECT 1 FROM site_progress p
      WHERE p.valid_to IS NULL
        AND p.contract_no = c.contract_no
        AND p.kind IN ('start', 'completion')
        AND p.reported_on <= :as_of
  )
ORDER BY c.agreed_start_on, c.contract_no

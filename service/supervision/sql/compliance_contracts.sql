-- 履约: every standing supply contract signed on or before :as_of (in :park, when given)
-- that has started (a standing start or completion report on or before :as_of), with
-- what was measured on the ground as of :as_of and its holder's tax in :year.
--   started_on         the first start (or completion) report
--   completed_on, ...  the latest completion acceptance (竣工验收) and its measures
--   investment_wan     the latest report's fixed-asset investment to date (a completion
--                      outranks another report of the same day)
--   holder_code        the contract's enterprise_code, else the standing enterprise named
--                      as the contract's holder
--   tax_wan            the holder's standing figures for :year
--   held_area_m2       the land of the holder's contracts signed by the end of :year (the
--                      divisor of its tax per 亩)
-- Areas are planar m² (EPSG:4545), money 万元.
WITH contract AS (
    SELECT c.*,
           coalesce(c.enterprise_code, (
               SELECT e.enterprise_code FROM enterprise e
               WHERE e.valid_to IS NULL AND e.name = c.holder
               ORDER BY e.enterprise_code LIMIT 1)) AS holder_code
    FROM supply_contract c
    WHERE c.valid_to IS NULL AND c.signed_on <= :as_of
),
held AS (
    SELECT holder_code, sum(land_area_m2) AS held_area_m2
    FROM contract
    WHERE holder_code IS NOT NULL AND signed_on <= :year_end
    GROUP BY holder_code
)
SELECT c.contract_no,
       c.parcel_code,
       c.park,
       c.holder,
       c.holder_code,
       c.supply_mode,
       c.signed_on,
       c.agreed_start_on,
       c.agreed_completion_on,
       c.land_area_m2,
       c.committed_investment_wan,
       c.investment_intensity_wan_per_mu,
       c.plot_ratio_min,
       c.plot_ratio_max,
       c.building_coverage_min,
       c.office_share_max,
       c.committed_tax_wan_per_mu_year,
       started.started_on,
       last.reported_on AS last_reported_on,
       last.kind AS last_kind,
       done.reported_on AS completed_on,
       done.plot_ratio,
       done.building_coverage,
       done.office_share,
       inv.investment_wan,
       inv.reported_on AS investment_reported_on,
       f.tax_wan,
       held.held_area_m2
FROM contract c
JOIN LATERAL (
    SELECT min(p.reported_on) AS started_on
    FROM site_progress p
    WHERE p.valid_to IS NULL AND p.contract_no = c.contract_no
      AND p.kind IN ('start', 'completion') AND p.reported_on <= :as_of
) started ON started.started_on IS NOT NULL
JOIN LATERAL (
    SELECT p.reported_on, p.kind
    FROM site_progress p
    WHERE p.valid_to IS NULL AND p.contract_no = c.contract_no AND p.reported_on <= :as_of
    ORDER BY p.reported_on DESC, (p.kind = 'completion') DESC, p.kind
    LIMIT 1
) last ON true
LEFT JOIN LATERAL (
    SELECT p.reported_on, p.plot_ratio, p.building_coverage, p.office_share
    FROM site_progress p
    WHERE p.valid_to IS NULL AND p.contract_no = c.contract_no
      AND p.kind = 'completion' AND p.reported_on <= :as_of
    ORDER BY p.reported_on DESC
    LIMIT 1
) done ON true
LEFT JOIN LATERAL (
    SELECT p.investment_wan, p.reported_on
    FROM site_progress p
    WHERE p.valid_to IS NULL AND p.contract_no = c.contract_no
      AND p.investment_wan IS NOT NULL AND p.reported_on <= :as_of
    ORDER BY p.reported_on DESC, (p.kind = 'completion') DESC, p.kind
    LIMIT 1
) inv ON true
LEFT JOIN enterprise_figures f
       ON f.valid_to IS NULL AND f.enterprise_code = c.holder_code AND f.year = :year
LEFT JOIN held ON held.holder_code = c.holder_code
WHERE (CAST(:park AS text) IS NULL OR c.park = CAST(:park AS text))
ORDER BY c.park, c.contract_no

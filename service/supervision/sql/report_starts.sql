-- 本月开工: the standing start reports (实际动工) dated from :first_day to :last_day (both
-- included), with their standing contract, of :park or of every park when it is NULL.
-- days_late: days from the agreed start to the actual one (negative: early).
SELECT p.contract_no,
       c.parcel_code,
       c.park,
       c.holder,
       c.enterprise_code,
       p.reported_on AS started_on,
       c.agreed_start_on,
       p.reported_on - c.agreed_start_on AS days_late,
       c.land_area_m2,
       m2_to_mu(c.land_area_m2) AS land_area_mu,
       p.investment_wan::double precision AS investment_wan
  FROM site_progress p
  JOIN supply_contract c ON c.contract_no = p.contract_no AND c.valid_to IS NULL
 WHERE p.valid_to IS NULL
   AND p.kind = 'start'
   AND p.reported_on BETWEEN :first_day AND :last_day
   AND (CAST(:park AS text) IS NULL OR c.park = :park)
 ORDER BY c.park, p.reported_on, p.contract_no;

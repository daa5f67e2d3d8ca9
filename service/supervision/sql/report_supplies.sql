-- 本月供地: the standing supply contracts signed from :first_day to :last_day (both
-- included), of :park or of every park when it is NULL. Areas m² (EPSG:4545) and 亩,
-- money 万元.
SELECT c.contract_no,
       c.parcel_code,
       c.park,
       c.holder,
       c.enterprise_code,
       c.batch_no,
       c.supply_mode,
       c.signed_on,
       c.price_wan::double precision AS price_wan,
       c.land_area_m2,
       m2_to_mu(c.land_area_m2) AS land_area_mu,
       c.agreed_start_on,
       c.agreed_completion_on,
       c.committed_investment_wan::double precision AS committed_investment_wan
  FROM supply_contract c
 WHERE c.valid_to IS NULL
   AND c.signed_on BETWEEN :first_day AND :last_day
   AND (CAST(:park AS text) IS NULL OR c.park = :park)
 ORDER BY c.park, c.signed_on, c.contract_no;

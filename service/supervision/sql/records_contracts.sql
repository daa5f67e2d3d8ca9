-- Standing supply contracts (service/supervision/contracts.py): every one, or those of a
-- park, a parcel or a contract number. Areas m² (EPSG:4545), money 万元.
SELECT contract_no, parcel_code, park, holder, enterprise_code, batch_no, signed_on,
       supply_mode, price_wan, land_area_m2, agreed_start_on, agreed_completion_on,
       committed_investment_wan, investment_intensity_wan_per_mu, plot_ratio_min,
       plot_ratio_max, building_coverage_min, office_share_max,
       committed_tax_wan_per_mu_year, document_no, valid_from, change_set_id
  FROM supply_contract
 WHERE valid_to IS NULL
   AND (CAST(:park AS text) IS NULL OR park = CAST(:park AS text))
   AND (CAST(:parcel AS text) IS NULL OR parcel_code = CAST(:parcel AS text))
   AND (CAST(:contract_no AS text) IS NULL OR contract_no = CAST(:contract_no AS text))
 ORDER BY park, contract_no;

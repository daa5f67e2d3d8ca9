-- Every version of one supply contract, oldest first, with who made it and why.
SELECT v.contract_no, v.parcel_code, v.park, v.holder, v.enterprise_code, v.batch_no,
       v.signed_on, v.supply_mode, v.price_wan, v.land_area_m2, v.agreed_start_on,
       v.agreed_completion_on, v.committed_investment_wan, v.investment_intensity_wan_per_mu,
       v.plot_ratio_min, v.plot_ratio_max, v.building_coverage_min, v.office_share_max,
       v.committed_tax_wan_per_mu_year, v.document_no, v.valid_from, v.valid_to,
       v.change_set_id, v.ended_by_change_set_id, c.actor, c.reason
  FROM supply_contract v
  JOIN change_set c ON c.id = v.change_set_id
 WHERE v.contract_no = :contract_no
 ORDER BY v.valid_from, v.version_id;

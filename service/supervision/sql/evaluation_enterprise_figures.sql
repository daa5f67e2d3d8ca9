-- Every year's standing figures of one enterprise, oldest first (money 万元, energy tce).
SELECT year,
       CAST(tax_wan AS double precision) AS tax_wan,
       CAST(revenue_wan AS double precision) AS revenue_wan,
       CAST(added_value_wan AS double precision) AS added_value_wan,
       CAST(energy_tce AS double precision) AS energy_tce,
       CAST(rd_wan AS double precision) AS rd_wan,
       employees
  FROM enterprise_figures
 WHERE valid_to IS NULL AND enterprise_code = :enterprise_code
 ORDER BY year

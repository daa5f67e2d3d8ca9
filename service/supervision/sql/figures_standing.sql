-- The standing figures of :year of the enterprises :codes (what an import compares with).
SELECT f.enterprise_code, f.tax_wan, f.revenue_wan, f.added_value_wan, f.energy_tce,
       f.rd_wan, f.employees
  FROM enterprise_figures f
  JOIN unnest(CAST(:codes AS text[])) AS c(code) ON f.enterprise_code = c.code
 WHERE f.valid_to IS NULL
   AND f.year = :year

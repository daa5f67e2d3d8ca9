-- The standing yearly figures of :year, one row per enterprise, with the enterprise's
-- standing name (NULL when no enterprise stands under the code). Money 万元, energy tce.
SELECT f.enterprise_code, e.name, e.industry,
       CAST(f.tax_wan AS double precision) AS tax_wan,
       CAST(f.revenue_wan AS double precision) AS revenue_wan,
       CAST(f.added_value_wan AS double precision) AS added_value_wan,
       CAST(f.energy_tce AS double precision) AS energy_tce,
       CAST(f.rd_wan AS double precision) AS rd_wan,
       CAST(f.employees AS double precision) AS employees
  FROM enterprise_figures f
  LEFT JOIN enterprise e ON e.enterprise_code = f.enterprise_code AND e.valid_to IS NULL
 WHERE f.valid_to IS NULL AND f.year = :year
 ORDER BY f.enterprise_code

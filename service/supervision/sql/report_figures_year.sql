-- The latest year, up to :year, for which standing enterprise figures (亩均效益 data)
-- exist; NULL when there are none.
SELECT max(f.year)::integer
  FROM enterprise_figures f
 WHERE f.valid_to IS NULL AND f.year <= :year;

-- The standing figures, newest year first, then by enterprise code, with the enterprise's
-- standing name and the number of rows matching (total, before LIMIT/OFFSET).
-- Filters (NULL: any): :year; :codes (the enterprises asked for); :park — enterprises
-- holding a standing parcel in the park, or leasing floor in one of its standard factory
-- buildings on 31 December of the figures' year. The park's holders and tenants are
-- gathered once (hashed), not looked up per row.
WITH years AS (
    SELECT DISTINCT year FROM enterprise_figures WHERE valid_to IS NULL
),
in_park AS (
    SELECT p.holder AS name, y.year
      FROM parcel_version p CROSS JOIN years y
     WHERE p.valid_to IS NULL AND p.park = CAST(:park AS text) AND p.holder IS NOT NULL
    UNION
    SELECT l.tenant, y.year
      FROM lease l
      JOIN factory_building b ON b.building_code = l.building_code
     CROSS JOIN years y
     WHERE b.park = CAST(:park AS text)
       AND lease_in_force_on(l.start_date, l.end_date, make_date(y.year, 12, 31))
)
SELECT f.enterprise_code, e.name, f.year, f.tax_wan, f.revenue_wan, f.added_value_wan,
       f.energy_tce, f.rd_wan, f.employees, f.change_set_id, f.valid_from,
       count(*) OVER () AS total
  FROM enterprise_figures f
  LEFT JOIN enterprise e ON e.enterprise_code = f.enterprise_code AND e.valid_to IS NULL
 WHERE f.valid_to IS NULL
   AND (CAST(:year AS integer) IS NULL OR f.year = CAST(:year AS integer))
   AND (CAST(:codes AS text[]) IS NULL OR f.enterprise_code = ANY (CAST(:codes AS text[])))
   AND (CAST(:park AS text) IS NULL
        OR (e.name, f.year) IN (SELECT name, year FROM in_park))
 ORDER BY f.year DESC, f.enterprise_code
 LIMIT CAST(:limit AS bigint) OFFSET CAST(:offset AS bigint)

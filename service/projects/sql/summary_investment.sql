-- A project's investment in each month 1..12 of :year: the standing plan's amount (0 when
-- the plan names none) and the standing report's (NULL when there is none, or when the
-- month is after :as_of_month, not known on the judged day). 万元.
SELECT m.month,
       coalesce(pl.planned_wan, 0) AS planned_wan,
       CASE WHEN m.month <= :as_of_month THEN r.investment_wan END AS completed_wan
  FROM generate_series(1, 12) AS m (month)
  LEFT JOIN project_plan_investment pl
    ON pl.project_code = :project_code AND pl.year = :year AND pl.month = m.month
   AND pl.valid_to IS NULL
  LEFT JOIN project_report r
    ON r.project_code = :project_code AND r.year = :year AND r.month = m.month
   AND r.valid_to IS NULL
 ORDER BY m.month;

-- The standing reports of a project just before and just after one month (any year): the
-- cumulative investment reported must not go down from one to the next.
(SELECT 'previous' AS side, year, month, cumulative_investment_wan
   FROM project_report
  WHERE project_code = :project_code AND valid_to IS NULL AND (year, month) < (:year, :month)
  ORDER BY year DESC, month DESC
  LIMIT 1)
UNION ALL
(SELECT 'following' AS side, year, month, cumulative_investment_wan
   FROM project_report
  WHERE project_code = :project_code AND valid_to IS NULL AND (year, month) > (:year, :month)
  ORDER BY year, month
  LIMIT 1);

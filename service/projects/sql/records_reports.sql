-- A project's standing monthly reports of one year, by month (money 万元).
SELECT year, month, investment_wan, cumulative_investment_wan, image_progress_text,
       image_progress_pct, employment, output_wan, reported_on, change_set_id
  FROM project_report
 WHERE project_code = :project_code AND year = :year AND valid_to IS NULL
 ORDER BY month;

-- The standing progress reports of one contract, in the order they happened (a day's
-- start before its report, suspension, resumption and completion).
SELECT contract_no, reported_on, kind, developed_area_m2, investment_wan, plot_ratio,
       building_coverage, office_share, note, valid_from, change_set_id
  FROM site_progress
 WHERE contract_no = :contract_no AND valid_to IS NULL
 ORDER BY reported_on,
          array_position(ARRAY['start', 'report', 'suspension', 'resumption', 'completion'], kind);

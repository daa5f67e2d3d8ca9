-- The idle-land list as the API's JSON body, built in the database (the list of a city is
-- thousands of rows: PostgreSQL writes them faster than Python would); the listed contracts
-- are sql/idle_land.sql (its parameters), settings the idle.* settings in force (JSON text).
-- The summaries are of the rows listed; 亩 by m2_to_mu; dates ISO; the parcels idle_2y
-- first, then idle_1y, then warning, each by days on the clock, most first.
WITH listed AS MATERIALIZED ({listed})
SELECT json_build_object(
         'as_of', CAST(:as_of AS date),
         'park', CAST(:park AS text),
         'stage', CAST(:stage AS text),
         'settings', CAST(:settings AS json),
         'counts', json_build_object(
             'warning', count(*) FILTER (WHERE l.stage = 'warning'),
             'idle_1y', count(*) FILTER (WHERE l.stage = 'idle_1y'),
             'idle_2y', count(*) FILTER (WHERE l.stage = 'idle_2y')),
         'fee_wan_total', coalesce(sum(l.fee_wan), 0),
         'area_m2_by_stage', json_build_object(
             'warning', coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'warning'), 0),
             'idle_1y', coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'idle_1y'), 0),
             'idle_2y', coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'idle_2y'), 0)),
         'area_mu_by_stage', json_build_object(
             'warning',
             m2_to_mu(coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'warning'), 0)),
             'idle_1y',
             m2_to_mu(coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'idle_1y'), 0)),
             'idle_2y',
             m2_to_mu(coalesce(sum(l.land_area_m2) FILTER (WHERE l.stage = 'idle_2y'), 0))),
         'parcels', (SELECT coalesce(json_agg(p ORDER BY p.stage = 'warning', p.stage DESC,
                                                    p.days_on_clock DESC, p.contract_no),
                                           '[]'::json)
                       FROM (SELECT r.contract_no, r.parcel_code, r.park, r.holder,
                                    r.enterprise_code, r.clock, r.stage, r.clock_started_on,
                                    r.days_on_clock, r.delay_days, r.warning_on, r.idle_on,
                                    r.recovery_on, r.fee_wan, r.for_decision, r.land_area_m2,
                                    m2_to_mu(r.land_area_m2) AS land_area_mu, r.price_wan,
                                    r.agreed_start_on, r.actual_start_on, r.developed_share,
                                    r.investment_share, r.parcel_area_m2 AS area_m2,
                                    m2_to_mu(r.parcel_area_m2) AS area_mu
                               FROM listed r) p)
       )::text
  FROM listed l;

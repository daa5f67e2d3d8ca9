-- What the rule judges this transaction's changes by, in one round trip: the changes in
-- manufacturing land the triggers collected (rule_pending) by park and parcel, as three
-- parallel arrays (NULL when there are none); the policy row; and the standing the last
-- ledger row recorded (NULLs before the first change set). Exact when the caller holds the
-- ledger lock.
SELECT pending.parks, pending.parcel_codes, pending.deltas_m2,
       policy.per_park_floor, policy.tolerance_m2,
       last.total_city_m2, last.high_water_city_m2, last.total_parks, last.high_water_parks
  FROM rule_policy policy
 CROSS JOIN (SELECT array_agg(park) AS parks, array_agg(parcel_code) AS parcel_codes,
                    array_agg(delta_m2) AS deltas_m2
               FROM (SELECT park, parcel_code, sum(delta_m2) AS delta_m2
                       FROM rule_pending
                      WHERE txid = txid_current()
                      GROUP BY park, parcel_code) by_parcel) pending
  LEFT JOIN LATERAL (SELECT total_city_m2, high_water_city_m2, total_parks, high_water_parks
                       FROM ledger
                      ORDER BY seq DESC
                      LIMIT 1) last ON true

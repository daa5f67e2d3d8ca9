-- The recent failed sign-ins the lockout is judged on (service/auth/sign_in.py), newest
-- first, as ('name' | 'address', at): the name's since its last successful sign-in, and
-- the address's, each within :lookback_s seconds and at most :max_rows of each.
(SELECT 'name' AS counted_by, a.at
 FROM sign_in_attempt a
 WHERE a.user_name = :name
   AND a.outcome = 'failure'
   AND a.at > now() - make_interval(secs => :lookback_s)
   AND a.at > coalesce((SELECT max(s.at) FROM sign_in_attempt s
                        WHERE s.user_name = :name AND s.outcome = 'success'), '-infinity')
 ORDER BY a.at DESC
 LIMIT :max_rows)
UNION ALL
(SELECT 'address' AS counted_by, a.at
 FROM sign_in_attempt a
 WHERE a.address = :address
   AND a.outcome = 'failure'
   AND a.at > now() - make_interval(secs => :lookback_s)
 ORDER BY a.at DESC
 LIMIT :max_rows)

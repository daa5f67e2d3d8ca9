-- The live session of a cookie (service/auth/sessions.py), with its user, in one statement:
-- a live session's last_seen_at is moved to now at most once per :touch_s seconds (to save
-- writes); a session found past its idle timeout or its lifetime, or of a disabled user,
-- is ended (at the moment it expired) and not returned.
WITH found AS (
    SELECT s.id_sha256, s.csrf_token, s.created_at, s.last_seen_at,
           u.name, u.role, u.parks,
           (u.disabled_at IS NULL
            AND s.last_seen_at > now() - make_interval(secs => :idle_s)
            AND s.created_at > now() - make_interval(secs => :lifetime_s)) AS alive
    FROM user_session s
    JOIN app_user u ON u.name = s.user_name
    WHERE s.id_sha256 = :id_sha256 AND s.ended_at IS NULL
),
touched AS (
    UPDATE user_session s
    SET last_seen_at = CASE WHEN f.alive THEN now() ELSE s.last_seen_at END,
        ended_at = CASE WHEN f.alive THEN NULL
                        ELSE least(now(),
                                   s.last_seen_at + make_interval(secs => :idle_s),
                                   s.created_at + make_interval(secs => :lifetime_s)) END
    FROM found f
    WHERE s.id_sha256 = f.id_sha256
      AND (NOT f.alive OR s.last_seen_at <= now() - make_interval(secs => :touch_s))
    RETURNING s.last_seen_at
)
SELECT f.name, f.role, f.parks, f.csrf_token, f.created_at,
       coalesce((SELECT t.last_seen_at FROM touched t), f.last_seen_at) AS last_seen_at
FROM found f
WHERE f.alive

-- The cache is over its size: drop the older half of its tiles (by when they were made).
DELETE FROM tile_cache
 WHERE made_at <= (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY made_at) FROM tile_cache);

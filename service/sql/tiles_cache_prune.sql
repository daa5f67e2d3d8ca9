-- Drop the tiles made from older data than :ledger_seq / :epoch, or from the leases in
-- force on an earlier day: no one asks for them again (a request's key is always the data
-- as it stands).
DELETE FROM tile_cache
 WHERE ledger_seq < :ledger_seq OR epoch < :epoch OR day < current_date;

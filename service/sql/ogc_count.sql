-- How many features of an OGC API collection match a request (numberMatched;
-- service/ogc/features.py), counted up to :count_cap rows: a count that would pass it is
-- not given. {source} and {where} as in ogc_items.sql, without the cursor.
SELECT count(*)
  FROM (
        SELECT 1
          FROM ({source}) s
         WHERE {where}
         LIMIT :count_cap
       ) matched

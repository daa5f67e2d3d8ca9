-- A page of one OGC API collection's features (service/ogc/features.py): one row per
-- feature, its keyset key ({keys}: the columns the collection is ordered by) and its
-- GeoJSON text, made here with json_build_object/ST_AsGeoJSON ({feature}) or put
-- together from the text stored per parcel version ({join}: parcel_feature, or nothing).
-- {source} is the collection's ogc_source_*.sql; {where} the fixed fragments and the
-- bound values of the request (bbox, datetime, property equalities, the CQL2 filter, the
-- keyset cursor); {order} the key, ascending (or descending for a page before a cursor).
-- :page_rows is the limit plus one: the extra row says whether there is a further page,
-- without counting.
SELECT {keys}, {feature} AS feature
  FROM (
        SELECT s.*
          FROM ({source}) s
         WHERE {where}
         ORDER BY {order}
         LIMIT :page_rows OFFSET :page_offset
       ) p
  {join}
 ORDER BY {outer_order}

-- The GeoJSON text of a parcel version in the OGC API's `parcels` collection put together
-- from the text stored for it in parcel_feature (pf: migration 0008; EPSG:4326, longitude
-- first, 7 decimals — CRS84 as the OGC API writes it) and what may change or depends on
-- the session (p: the row of ogc_source_parcel_versions.sql). The properties come in the
-- order the registry lists them, spelled as json_build_object spells them, so a feature
-- made from the stored text and one made in full are the same text
-- (service/ogc/features.py; tests/e2e/test_ogc_items.py compares them).
pf.head
|| ', "land_use_name" : ' || to_json(p.land_use_name)
|| ', "land_use_name_en" : ' || to_json(p.land_use_name_en)
|| ', "is_manufacturing" : ' || p.is_manufacturing
|| pf.tail
|| ', "valid_from" : ' || to_json(p.valid_from)
|| ', "valid_to" : ' || coalesce(to_json(p.valid_to)::text, 'null')
|| ', "change_set_id" : ' || p.change_set_id
|| ', "ended_by_change_set_id" : ' || coalesce(p.ended_by_change_set_id::text, 'null')
|| ', "version_id" : ' || p.version_id
|| '}}'

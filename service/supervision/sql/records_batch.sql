-- One standing approval batch (建设用地批次) and its standing parcels (m², EPSG:4545).
SELECT b.batch_no, b.park, b.name, b.kind, b.approved_on, b.approved_area_m2, b.document_no,
       b.valid_from, b.change_set_id,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('parcel_code', p.parcel_code,
                                                     'area_m2', p.area_m2)
                                  ORDER BY p.parcel_code)
                   FROM approval_batch_parcel p
                  WHERE p.batch_no = b.batch_no AND p.valid_to IS NULL), '[]'::jsonb) AS parcels
  FROM approval_batch b
 WHERE b.batch_no = :batch_no AND b.valid_to IS NULL;

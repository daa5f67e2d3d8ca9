-- 批而未供: every standing approval batch approved on or before :as_of (in :park, when
-- given) with its land supplied as of :as_of. A batch's land in a parcel counts as
-- supplied when the parcel has a standing supply contract signed on or before :as_of
-- (counted once, however many contracts the parcel has). Areas are planar m² (EPSG:4545).
SELECT b.batch_no,
       b.park,
       b.name,
       b.kind,
       b.approved_on,
       b.approved_area_m2,
       b.document_no,
       count(p.parcel_code) AS parcels,
       count(p.parcel_code) FILTER (WHERE s.supplied) AS parcels_supplied,
       coalesce(sum(p.area_m2) FILTER (WHERE s.supplied), 0) AS supplied_area_m2
FROM approval_batch b
LEFT JOIN approval_batch_parcel p ON p.batch_no = b.batch_no AND p.valid_to IS NULL
LEFT JOIN LATERAL (
    SELECT EXISTS (
        SELECT 1 FROM supply_contract c
        WHERE c.valid_to IS NULL AND c.parcel_code = p.parcel_code AND c.signed_on <= :as_of
    ) AS supplied
) s ON true
WHERE b.valid_to IS NULL
  AND b.approved_on <= :as_of
  AND (CAST(:park AS text) IS NULL OR b.park = CAST(:park AS text))
GROUP BY b.batch_no, b.park, b.name, b.kind, b.approved_on, b.approved_area_m2, b.document_no
ORDER BY b.approved_on, b.batch_no

-- Every version of a parcel, oldest first, with the change sets that made and ended it.
SELECT v.version_id, v.parcel_code, v.park, v.land_use_code, c.name_zh AS land_use_name,
       c.name_en AS land_use_name_en, c.is_manufacturing, v.status, v.holder, v.supply_mode,
       v.supplied_on, v.area_m2, v.valid_from, v.valid_to,
       v.change_set_id, made.kind AS made_by_kind, made.document_no AS made_by_document_no,
       made.actor AS made_by_actor, made.proposal_id AS made_by_proposal_id,
       made.proposed_by AS made_by_proposed_by,
       v.ended_by_change_set_id, ended.kind AS ended_by_kind
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code
  JOIN change_set made ON made.id = v.change_set_id
  LEFT JOIN change_set ended ON ended.id = v.ended_by_change_set_id
 WHERE v.parcel_code = :code
 ORDER BY v.valid_from, v.version_id;

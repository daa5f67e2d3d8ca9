-- The standing overrides of supervision settings, with when and by whom they were set.
SELECT s.name, s.value, s.valid_from, s.change_set_id, c.actor
  FROM supervision_setting s
  JOIN change_set c ON c.id = s.change_set_id
 WHERE s.valid_to IS NULL;

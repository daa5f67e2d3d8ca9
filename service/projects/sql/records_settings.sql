-- The standing overrides of the key-project settings, with when and by whom they were set.
SELECT s.name, s.value, s.valid_from, s.change_set_id, c.actor
  FROM project_setting s
  JOIN change_set c ON c.id = s.change_set_id
 WHERE s.valid_to IS NULL;

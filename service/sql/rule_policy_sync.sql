-- The application's policy written into the row the commit trigger judges by, through the
-- audited admin function (service/db/sql/admin.sql): the area tolerance always
-- (parks.units.AREA_TOLERANCE_M2 is its one home), the per-park floor when :flag is not
-- NULL. The change set recording it, or NULL when the row says so already.
SELECT admin_set_rule_policy(CAST(:flag AS boolean), CAST(:tolerance AS double precision),
                             CAST(:actor AS text), CAST(:reason AS text)) AS change_set_id;

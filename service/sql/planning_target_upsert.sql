-- Set a park's targets through the audited admin function (service/db/sql/admin.sql); a
-- value not given (NULL) keeps the stored one (0 for a park without targets). The change
-- set recording it, or NULL when the targets say so already.
SELECT admin_set_target(CAST(:park AS text), CAST(:min_reserve_mu AS double precision),
                        CAST(:min_vacant_floor_m2 AS double precision),
                        CAST(:updated_by AS text), CAST(:reason AS text)) AS change_set_id;

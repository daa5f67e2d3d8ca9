-- Set a park's targets; a value not given (NULL) keeps the stored one (0 for a new row).
INSERT INTO target AS t (park, min_reserve_mu, min_vacant_floor_m2, updated_at, updated_by)
VALUES (:park, coalesce(CAST(:min_reserve_mu AS float8), 0),
        coalesce(CAST(:min_vacant_floor_m2 AS float8), 0), now(), :updated_by)
ON CONFLICT (park) DO UPDATE
   SET min_reserve_mu = coalesce(CAST(:min_reserve_mu AS float8), t.min_reserve_mu),
       min_vacant_floor_m2 = coalesce(CAST(:min_vacant_floor_m2 AS float8),
                                      t.min_vacant_floor_m2),
       updated_at = now(),
       updated_by = :updated_by;

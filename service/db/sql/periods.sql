-- No two versions of a parcel overlap in time.
--
-- The exclusion constraint covers the closed versions only (WHERE valid_to IS NOT NULL): a
-- GiST entry per standing version made every insert of a bulk load probe a tree whose
-- ranges all overlap ([t, ∞)), at ~0.1 ms a row. Standing versions are covered instead
-- by the unique index "one current version per parcel" and by the check below, which
-- looks up the same parcel's versions by code.

CREATE OR REPLACE FUNCTION parcel_version_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_cs change_set%ROWTYPE;
    v_clash bigint;
BEGIN
    IF TG_OP = 'INSERT' AND (NEW.change_set_id IS NULL OR NEW.valid_from IS NULL) THEN
        v_cs := change_set_of_this_transaction();
        NEW.change_set_id := coalesce(NEW.change_set_id, v_cs.id);
        NEW.valid_from := coalesce(NEW.valid_from, v_cs.committed_at);
    END IF;
    -- (A period that ends before it begins is left to the CHECK constraint to refuse.)
    IF TG_OP = 'INSERT' AND (NEW.valid_to IS NULL OR NEW.valid_to > NEW.valid_from) THEN
        SELECT o.version_id INTO v_clash
          FROM parcel_version o
         WHERE o.parcel_code = NEW.parcel_code
           -- the overlap test written on the columns, so that the b-tree on
           -- (parcel_code, valid_from) serves it even before the table is analysed
           -- (as a range expression the planner may pick the period GiST index, whose
           -- standing [t, ∞) entries all overlap); empty periods are refused by CHECK.
           AND o.valid_from < coalesce(NEW.valid_to, 'infinity')
           AND coalesce(o.valid_to, 'infinity') > NEW.valid_from
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'exclusion_violation',
                CONSTRAINT = 'parcel_periods_do_not_overlap',
                MESSAGE = format('parcel %s''s new version [%s, %s) overlaps its version %s',
                                 NEW.parcel_code, NEW.valid_from,
                                 coalesce(NEW.valid_to::text, '∞'), v_clash);
        END IF;
    END IF;
    NEW.content_sha256 := parcel_version_fingerprint(NEW);
    RETURN NEW;
END $$;

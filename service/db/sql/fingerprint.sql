-- Tamper evidence for parcel history: each version carries the SHA-256 of its content,
-- set by the database whenever the row is written. A version altered behind the
-- application's back (triggers disabled) keeps a fingerprint that no longer matches, and
-- `parks audit verify` names it. valid_to and ended_by_change_set_id are left out: they
-- are written once, when the version is closed.

CREATE OR REPLACE FUNCTION parcel_version_fingerprint(v parcel_version) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(
        convert_to(concat_ws(chr(31),
            v.parcel_code, v.park, v.land_use_code, v.status,
            coalesce(v.holder, ''), coalesce(v.supply_mode, ''),
            coalesce(to_char(v.supplied_on, 'YYYY-MM-DD'), ''),
            floor(extract(epoch FROM v.valid_from) * 1000000)::bigint::text,
            v.change_set_id::text), 'UTF8')
        || ST_AsBinary(v.geom, 'NDR')), 'hex')
$$;

CREATE OR REPLACE FUNCTION parcel_version_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_cs change_set%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' AND (NEW.change_set_id IS NULL OR NEW.valid_from IS NULL) THEN
        v_cs := change_set_of_this_transaction();
        NEW.change_set_id := coalesce(NEW.change_set_id, v_cs.id);
        NEW.valid_from := coalesce(NEW.valid_from, v_cs.committed_at);
    END IF;
    NEW.content_sha256 := parcel_version_fingerprint(NEW);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS parcel_version_defaults ON parcel_version;
DROP FUNCTION IF EXISTS parcel_version_defaults();

-- Named to fire after parcel_version_history_guard (BEFORE triggers run in name order).
DROP TRIGGER IF EXISTS parcel_version_stamp ON parcel_version;
CREATE TRIGGER parcel_version_stamp BEFORE INSERT OR UPDATE ON parcel_version
    FOR EACH ROW EXECUTE FUNCTION parcel_version_stamp();

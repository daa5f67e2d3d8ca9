-- The raw rows of one load, as copied from the file; dropped at the end of the transaction.
CREATE TEMP TABLE stage_raw (
    row_no        integer NOT NULL,
    parcel_code   text,
    park          text,
    land_use_code text,
    status        text,
    holder        text,
    supply_mode   text,
    supplied_on   date,
    wkb           bytea
) ON COMMIT DROP;

-- Staging tables for one load; dropped at the end of the transaction.
CREATE TEMP TABLE stage_parcel (
    row_no        integer NOT NULL,  -- no index: it would lure the overlap join into a BitmapAnd
    parcel_code   text,
    park          text,
    land_use_code text,
    status        text,
    holder        text,
    supply_mode   text,
    supplied_on   date,
    wkb           bytea,
    geom          geometry,
    verdict       text,
    is_valid      boolean
) ON COMMIT DROP;

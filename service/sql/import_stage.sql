-- The features of one file being analysed, as read and translated; dropped at the end of
-- the transaction. The dry run's checks read it; its last statement keeps it, with the
-- verdicts, in import_feature (one write of each row, not a write and two rewrites).
CREATE TEMP TABLE import_stage (
    row_no           integer PRIMARY KEY,
    parcel_code      text,
    park             text,
    land_use_code    text,
    status           text,
    holder           text,
    supply_mode      text,
    supplied_on      date,
    declared_area_m2 double precision,
    geom             geometry
) ON COMMIT DROP;

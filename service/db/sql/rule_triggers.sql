-- The triggers that attach the rule's functions (service/db/sql/rule.sql) to the tables.
--
-- Run once, by migration 0002, right after rule.sql; unlike rule.sql this file is not
-- re-runnable (CREATE TRIGGER fails on a trigger that exists). A later migration that needs
-- a new trigger creates it itself (0013: the guards that the past is not written).
-- Versions inserted without a change set or a start get them from parcel_version_stamp
-- (fingerprint.sql, periods.sql: since 0003 the one trigger that fills them).

CREATE TRIGGER parcel_version_rule_insert AFTER INSERT ON parcel_version
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_insert();
CREATE TRIGGER parcel_version_rule_update AFTER UPDATE ON parcel_version
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_update();
CREATE TRIGGER parcel_version_rule_delete AFTER DELETE ON parcel_version
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_delete();
CREATE TRIGGER parcel_version_history_guard BEFORE UPDATE OR DELETE ON parcel_version
    FOR EACH ROW EXECUTE FUNCTION parcel_history_guard();
CREATE TRIGGER parcel_version_no_truncate BEFORE TRUNCATE ON parcel_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('parcel history is kept forever');

CREATE TRIGGER land_use_class_rule_flag AFTER UPDATE ON land_use_class
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_class_flag();
CREATE TRIGGER land_use_class_no_truncate BEFORE TRUNCATE ON land_use_class
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('parcels refer to land-use classes');

CREATE TRIGGER change_set_rule_mark AFTER INSERT ON change_set
    FOR EACH ROW EXECUTE FUNCTION rule_mark_change_set();
CREATE TRIGGER change_set_no_truncate BEFORE TRUNCATE ON change_set
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('change sets are the record of every change');

CREATE TRIGGER rule_pending_guard BEFORE UPDATE OR DELETE ON rule_pending
    FOR EACH ROW EXECUTE FUNCTION rule_tables_guard();
CREATE TRIGGER rule_pending_no_truncate BEFORE TRUNCATE ON rule_pending
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the rule''s commit check may');
CREATE TRIGGER rule_txn_guard BEFORE UPDATE OR DELETE ON rule_txn
    FOR EACH ROW EXECUTE FUNCTION rule_tables_guard();
CREATE TRIGGER rule_txn_no_truncate BEFORE TRUNCATE ON rule_txn
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the rule''s commit check may');

CREATE CONSTRAINT TRIGGER rule_check_at_commit AFTER INSERT ON rule_txn
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rule_commit_check();

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the ledger is append-only');
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the ledger is append-only');

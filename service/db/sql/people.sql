-- Officials who sign in, their sessions, the sign-in attempts, and proposals awaiting a
-- second official's approval (service/auth, service/proposals). Run once by migration 0016.

ALTER TABLE api_token DROP CONSTRAINT IF EXISTS token_role;
ALTER TABLE api_token DROP CONSTRAINT IF EXISTS ck_api_token_token_role;
ALTER TABLE api_token ADD CONSTRAINT token_role
    CHECK (role IN ('viewer', 'planner', 'editor', 'approver', 'auditor', 'admin'));

-- A named official. The password is kept only as an argon2id hash; `parks user disable`
-- sets disabled_at and ends every session of the user at once.
CREATE TABLE app_user (
    name                text        PRIMARY KEY
                        CHECK (length(name) BETWEEN 1 AND 64 AND name !~ '[[:space:][:cntrl:]]'),
    role                text        NOT NULL
                        CHECK (role IN ('viewer', 'planner', 'editor', 'approver', 'auditor', 'admin')),
    -- the parks an editor or approver may change; empty: every park
    parks               text[]      NOT NULL DEFAULT '{}',
    password_hash       text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    disabled_at         timestamptz
);

-- A signed-in browser. The cookie carries a random id; only its SHA-256 is kept here.
CREATE TABLE user_session (
    id_sha256    text        PRIMARY KEY,
    user_name    text        NOT NULL REFERENCES app_user (name),
    csrf_token   text        NOT NULL,
    address      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX user_session_user ON user_session (user_name) WHERE ended_at IS NULL;

-- Every sign-in attempt: when, which name was tried, from where, and what came of it
-- (never the password). The lockout counts the failures here.
CREATE TABLE sign_in_attempt (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    user_name text        NOT NULL,
    address   text,
    outcome   text        NOT NULL CHECK (outcome IN ('success', 'failure', 'locked'))
);
CREATE INDEX sign_in_attempt_user_at ON sign_in_attempt (user_name, at);
CREATE INDEX sign_in_attempt_address_at ON sign_in_attempt (address, at);

-- A change set proposed by one official and applied only when another approves it.
-- basis: the version id each parcel it touches had when it was proposed (null: the code
-- had to be unused); a proposal whose parcels changed since is stale.
CREATE TABLE proposal (
    id              bigserial   PRIMARY KEY,
    status          text        NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'approved', 'rejected')),
    kind            text        NOT NULL,
    reason          text        NOT NULL,
    document_no     text,
    request         jsonb       NOT NULL,
    parks           text[]      NOT NULL DEFAULT '{}',
    basis           jsonb       NOT NULL DEFAULT '{}',
    dry_run         jsonb       NOT NULL,
    proposed_by     text        NOT NULL,
    proposed_at     timestamptz NOT NULL DEFAULT now(),
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text,
    change_set_id   bigint      REFERENCES change_set (id),
    CHECK ((status = 'open') = (decided_at IS NULL)),
    CHECK (status <> 'approved' OR change_set_id IS NOT NULL),
    -- nobody approves their own proposal; a proposer may withdraw it (rejected, by them)
    CHECK (decided_by IS NULL OR decided_by <> proposed_by OR status = 'rejected')
);
CREATE INDEX proposal_status ON proposal (status, proposed_at DESC);

-- A change set applied by approving a proposal names its proposer and the proposal's time
-- beside its actor (the approver) and committed_at (the approval's time).
ALTER TABLE change_set
    ADD COLUMN proposal_id bigint,
    ADD COLUMN proposed_by text,
    ADD COLUMN proposed_at timestamptz;

-- The service's role: what each table needs. Password hashes and session ids are the
-- service's alone: the auditor sees the users without their hashes, and the attempts.
REVOKE ALL ON app_user, user_session, sign_in_attempt, proposal FROM PUBLIC;
REVOKE ALL ON SEQUENCE sign_in_attempt_id_seq, proposal_id_seq FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON app_user TO parks_app;
GRANT SELECT, INSERT, UPDATE ON user_session TO parks_app;
GRANT SELECT, INSERT ON sign_in_attempt TO parks_app;
GRANT SELECT, INSERT, UPDATE ON proposal TO parks_app;
GRANT USAGE ON SEQUENCE sign_in_attempt_id_seq, proposal_id_seq TO parks_app;
GRANT SELECT (name, role, parks, created_at, password_changed_at, disabled_at)
    ON app_user TO parks_auditor;
GRANT SELECT ON sign_in_attempt, proposal TO parks_auditor;

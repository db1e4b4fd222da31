-- Issue 5: site access for teams other than the owner (Volttime "Sites > Teams"), data-access
-- requests, invitations, the e-mail outbox and the audit log. The owner team of a site stays
-- `sites.team_id`; these rows are only for the other teams.
CREATE TABLE site_team_access (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    -- Sensitive data (transactions, meter values, logs, pincodes) until the expiry, if any.
    data_access BIGINT NOT NULL DEFAULT 0,
    data_access_expires_at BIGINT,
    -- 1: every charger of the site; 0: only the chargers in site_team_assets.
    full_asset_access BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, team_id)
);
CREATE INDEX site_team_access_team ON site_team_access(team_id);

CREATE TABLE site_team_assets (
    access_id BIGINT NOT NULL REFERENCES site_team_access(id) ON DELETE CASCADE,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    PRIMARY KEY (access_id, charger_id)
);

CREATE TABLE site_data_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    requested_expires_never BIGINT NOT NULL DEFAULT 0,
    requested_expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX site_data_requests_site ON site_data_requests(site_id);

CREATE TABLE site_invites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    invited_by BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    -- SHA-256 of the 64-character token: the token itself is shown once.
    token_hash TEXT NOT NULL UNIQUE,
    transfer_ownership BIGINT NOT NULL DEFAULT 0,
    data_access BIGINT NOT NULL DEFAULT 0,
    data_access_expires_at BIGINT,
    can_access_all_assets BIGINT NOT NULL DEFAULT 1,
    -- Comma-separated charger ids for limited asset access.
    accessible_chargers TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_team_id BIGINT REFERENCES teams(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX site_invites_site ON site_invites(site_id);

CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

-- One row per team the acting user belonged to, so each team's admins read their own trail.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    user_email TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_team ON audit_log(team_id, id);

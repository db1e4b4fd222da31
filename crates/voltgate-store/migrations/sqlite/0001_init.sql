-- Voltgate schema, SQLite flavour. Timestamps are microseconds since the Unix epoch (UTC).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    is_admin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    kind TEXT NOT NULL,
    is_personal_team BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL,
    street TEXT,
    house_number TEXT,
    house_number_addition TEXT,
    postal_code TEXT,
    city TEXT,
    country TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    timezone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sites_team ON sites(team_id);

CREATE TABLE chargers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams(id),
    site_id BIGINT REFERENCES sites(id) ON DELETE SET NULL,
    identity TEXT NOT NULL UNIQUE,
    reference TEXT,
    password_hash TEXT,
    pincode TEXT NOT NULL,
    connection_status TEXT NOT NULL DEFAULT 'never_seen',
    status TEXT,
    error TEXT,
    error_info TEXT,
    vendor_id TEXT,
    vendor_error_code TEXT,
    vendor TEXT,
    model TEXT,
    charge_point_serial_number TEXT,
    charge_box_serial_number TEXT,
    firmware_version TEXT,
    iccid TEXT,
    imsi TEXT,
    meter_type TEXT,
    meter_serial_number TEXT,
    ocpp_version TEXT,
    license_smart BIGINT NOT NULL DEFAULT 0,
    license_pro BIGINT NOT NULL DEFAULT 0,
    firmware_status TEXT,
    diagnostics_status TEXT,
    last_boot_at BIGINT,
    last_connection_at BIGINT,
    last_disconnection_at BIGINT,
    last_heartbeat_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chargers_team ON chargers(team_id);
CREATE INDEX chargers_site ON chargers(site_id);

CREATE TABLE connectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    status TEXT,
    error TEXT,
    error_info TEXT,
    vendor_id TEXT,
    vendor_error_code TEXT,
    status_at BIGINT,
    max_amperage INTEGER,
    phase_rotation TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (charger_id, connector_id)
);

CREATE TABLE cards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    uid_normalized TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL,
    expires_at BIGINT,
    parent_uid TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (team_id, uid_normalized)
);

CREATE TABLE transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    id_tag TEXT,
    status TEXT NOT NULL,
    meter_start BIGINT NOT NULL,
    meter_stop BIGINT,
    started_at BIGINT NOT NULL,
    stopped_at BIGINT,
    stop_reason TEXT,
    stop_id_tag TEXT,
    reservation_id BIGINT,
    orphan_transaction_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX transactions_charger ON transactions(charger_id, started_at);
CREATE INDEX transactions_active ON transactions(charger_id, connector_id, status);

CREATE TABLE meter_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    transaction_id BIGINT,
    timestamp BIGINT NOT NULL,
    value TEXT NOT NULL,
    context TEXT,
    format TEXT,
    measurand TEXT,
    phase TEXT,
    location TEXT,
    unit TEXT
);
CREATE INDEX meter_values_charger ON meter_values(charger_id, timestamp);

CREATE TABLE ocpp_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    message_type SMALLINT NOT NULL,
    action TEXT,
    message_id TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ocpp_logs_charger ON ocpp_logs(charger_id, id);

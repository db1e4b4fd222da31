-- Remote control: boot policy, audit of actions, and the state actions leave behind.
ALTER TABLE chargers ADD COLUMN boot_policy TEXT;
ALTER TABLE chargers ADD COLUMN registration_status TEXT;
ALTER TABLE chargers ADD COLUMN local_list_version BIGINT;

CREATE TABLE charger_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    idempotency_key TEXT,
    state TEXT NOT NULL,
    http_status BIGINT,
    response TEXT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT,
    UNIQUE (charger_id, idempotency_key)
);
CREATE INDEX charger_actions_charger ON charger_actions(charger_id, id);

CREATE TABLE charger_configuration (
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,
    readonly BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (charger_id, key)
);

CREATE TABLE reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    connector_id BIGINT NOT NULL,
    id_tag TEXT NOT NULL,
    parent_id_tag TEXT,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    transaction_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reservations_charger ON reservations(charger_id, id);

CREATE TABLE charging_profiles (
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    charging_profile_id BIGINT NOT NULL,
    connector_id BIGINT NOT NULL,
    stack_level BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    profile TEXT NOT NULL,
    installed_at BIGINT NOT NULL,
    PRIMARY KEY (charger_id, charging_profile_id)
);

CREATE TABLE local_list_entries (
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    id_tag TEXT NOT NULL,
    status TEXT,
    expiry_date BIGINT,
    parent_id_tag TEXT,
    PRIMARY KEY (charger_id, id_tag)
);

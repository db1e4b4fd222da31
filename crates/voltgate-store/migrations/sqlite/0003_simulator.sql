-- The simulator (seed 004, OCPPLAB): locations and simulated charger definitions. The runtime
-- itself is never stored; `desired_running` says which definitions start again at boot.
CREATE TABLE lab_locations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    address TEXT,
    city TEXT,
    country TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    timezone TEXT,
    owner_name TEXT,
    is_public BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lab_locations_team ON lab_locations(team_id, id);

CREATE TABLE lab_chargers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    identity TEXT NOT NULL UNIQUE,
    name TEXT,
    vendor_name TEXT,
    model TEXT,
    image_url TEXT,
    ocpp_version TEXT NOT NULL,
    number_of_connectors BIGINT NOT NULL,
    max_charging_power BIGINT,
    connector_type TEXT,
    location_id BIGINT REFERENCES lab_locations(id) ON DELETE SET NULL,
    brand_slug TEXT,
    model_slug TEXT,
    ws_url TEXT,
    password TEXT,
    id_tag TEXT,
    scenario TEXT,
    provisioning_status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    error_retryable BIGINT NOT NULL DEFAULT 0,
    workflow_run_id TEXT,
    provisioned_at BIGINT,
    desired_running BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lab_chargers_team ON lab_chargers(team_id, id);
CREATE INDEX lab_chargers_location ON lab_chargers(location_id);

-- Site load management (Zaptec installation semantics) and circuits with charger priorities (AMPECO).
CREATE TABLE site_load_management (
    site_id BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    max_current DOUBLE PRECISION,
    available_current DOUBLE PRECISION,
    available_current_phase1 DOUBLE PRECISION,
    available_current_phase2 DOUBLE PRECISION,
    available_current_phase3 DOUBLE PRECISION,
    three_to_one_phase_switch_current DOUBLE PRECISION,
    minimum_current DOUBLE PRECISION,
    updated_at BIGINT NOT NULL
);

CREATE TABLE circuits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES circuits(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    max_current DOUBLE PRECISION NOT NULL,
    phases BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX circuits_site ON circuits(site_id);

-- A charger hangs below at most one circuit.
CREATE TABLE circuit_chargers (
    charger_id BIGINT PRIMARY KEY REFERENCES chargers(id) ON DELETE CASCADE,
    circuit_id BIGINT NOT NULL REFERENCES circuits(id) ON DELETE CASCADE,
    priority BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX circuit_chargers_circuit ON circuit_chargers(circuit_id);

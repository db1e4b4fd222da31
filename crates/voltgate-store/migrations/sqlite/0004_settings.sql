-- Charger settings (seed 003 semantics) and where they stand on the charger.
CREATE TABLE charger_settings (
    charger_id BIGINT PRIMARY KEY REFERENCES chargers(id) ON DELETE CASCADE,
    max_charge_current DOUBLE PRECISION,
    min_charge_current DOUBLE PRECISION,
    max_charge_phases BIGINT,
    offline_charge_current DOUBLE PRECISION,
    offline_charge_phase BIGINT,
    meter_value_interval BIGINT,
    status TEXT NOT NULL DEFAULT 'pending',
    detail TEXT,
    applied_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- Meter values are stored one row per reading (one meterValue element: a charger, connector,
-- transaction and timestamp) with its sampled values packed in `sampled`, a JSON array of
-- [value, context, format, measurand, phase, location, unit] arrays, instead of one row per
-- sampled value: a MeterValues message of 8 sampled values writes one row and one index entry
-- instead of 8 (the write path was most of the CPU of a MeterValues message).
-- `live` is 1 when the reading has a Current.Import or Power.Active.Import sample (load control
-- reads the latest such reading). The view `meter_values` keeps one row per sampled value for
-- readers; a sampled value's id is the reading's id * 64 + its position (a reading holds at most
-- 64 sampled values; the writer splits longer ones).
CREATE TABLE meter_readings (
    id BIGSERIAL PRIMARY KEY,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    transaction_id BIGINT,
    timestamp BIGINT NOT NULL,
    live INTEGER NOT NULL,
    sampled TEXT NOT NULL
);
CREATE INDEX meter_readings_charger ON meter_readings(charger_id, timestamp);

INSERT INTO meter_readings (id, charger_id, connector_id, transaction_id, timestamp, live, sampled)
SELECT MIN(id), charger_id, connector_id, transaction_id, timestamp,
       MAX(CASE WHEN measurand IN ('Current.Import', 'Power.Active.Import') THEN 1 ELSE 0 END),
       json_agg(json_build_array(value, context, format, measurand, phase, location, unit) ORDER BY id)::text
FROM meter_values
GROUP BY charger_id, connector_id, transaction_id, timestamp;
SELECT setval(pg_get_serial_sequence('meter_readings', 'id'),
              GREATEST((SELECT MAX(id) FROM meter_readings), 1));

DROP TABLE meter_values;

CREATE VIEW meter_values AS
SELECT r.id * 64 + (j.n - 1) AS id, r.charger_id, r.connector_id, r.transaction_id, r.timestamp,
       j.v ->> 0 AS value,
       j.v ->> 1 AS context,
       j.v ->> 2 AS format,
       j.v ->> 3 AS measurand,
       j.v ->> 4 AS phase,
       j.v ->> 5 AS location,
       j.v ->> 6 AS unit
FROM meter_readings r CROSS JOIN LATERAL json_array_elements(r.sampled::json) WITH ORDINALITY AS j(v, n);

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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
       MAX(measurand IN ('Current.Import', 'Power.Active.Import')),
       json_group_array(json_array(value, context, format, measurand, phase, location, unit))
FROM (SELECT * FROM meter_values ORDER BY id)
GROUP BY charger_id, connector_id, transaction_id, timestamp;

DROP TABLE meter_values;

CREATE VIEW meter_values AS
SELECT r.id * 64 + j.key AS id, r.charger_id, r.connector_id, r.transaction_id, r.timestamp,
       json_extract(j.value, '$[0]') AS value,
       json_extract(j.value, '$[1]') AS context,
       json_extract(j.value, '$[2]') AS format,
       json_extract(j.value, '$[3]') AS measurand,
       json_extract(j.value, '$[4]') AS phase,
       json_extract(j.value, '$[5]') AS location,
       json_extract(j.value, '$[6]') AS unit
FROM meter_readings r, json_each(r.sampled) j;

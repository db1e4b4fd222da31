-- The OCPP message log is stored one row per charger and write batch (a "chunk" of up to 64
-- frames in arrival order) instead of one row per frame: `frames` is a JSON array of
-- [direction, message_type, action, message_id, payload, created_at] arrays, the payload kept
-- as the exact text that travelled (a JSON string). A CALL and its answer usually share a row,
-- so a MeterValues exchange writes one row and one index entry instead of two (the log was the
-- largest single write cost of a message). The view `ocpp_logs` keeps one row per frame for
-- readers; a frame's id is its chunk's id * 64 + its position. `first_at` and `last_at` bound the
-- chunk's `created_at`s and `frames_count` counts its frames, so counting and paging skip whole
-- chunks without reading their frames.
CREATE TABLE ocpp_log_chunks (
    id BIGSERIAL PRIMARY KEY,
    charger_id BIGINT NOT NULL REFERENCES chargers(id) ON DELETE CASCADE,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    frames_count INTEGER NOT NULL,
    frames TEXT NOT NULL
);
-- The index carries what paging needs to know of a chunk without reading its frames.
CREATE INDEX ocpp_log_chunks_charger ON ocpp_log_chunks(charger_id, id, first_at, last_at, frames_count);

INSERT INTO ocpp_log_chunks (id, charger_id, first_at, last_at, frames_count, frames)
SELECT id, charger_id, created_at, created_at, 1,
       json_build_array(json_build_array(direction, message_type, action, message_id, payload, created_at))::text
FROM ocpp_logs;
SELECT setval(pg_get_serial_sequence('ocpp_log_chunks', 'id'),
              GREATEST((SELECT MAX(id) FROM ocpp_log_chunks), 1));

DROP TABLE ocpp_logs;

CREATE VIEW ocpp_logs AS
SELECT c.id * 64 + (j.n - 1) AS id, c.id AS chunk_id, c.charger_id,
       j.v ->> 0 AS direction,
       (j.v ->> 1)::smallint AS message_type,
       j.v ->> 2 AS action,
       j.v ->> 3 AS message_id,
       j.v ->> 4 AS payload,
       (j.v ->> 5)::bigint AS created_at,
       c.first_at AS chunk_first_at, c.last_at AS chunk_last_at
FROM ocpp_log_chunks c CROSS JOIN LATERAL json_array_elements(c.frames::json) WITH ORDINALITY AS j(v, n);

-- The OCPP message log is stored one row per charger and write batch (a "chunk" of up to 64
-- frames in arrival order) instead of one row per frame: `frames` is a JSON array of
-- [direction, message_type, action, message_id, payload, created_at] arrays, the payload kept
-- as the exact text that travelled (a JSON string). A CALL and its answer usually share a row,
-- so a MeterValues exchange writes one row and one index entry instead of two (the log was the
-- largest single write cost of a message). The view `ocpp_logs` keeps one row per frame for
-- readers; a frame's id is its chunk's id * 64 + its position. `first_at` and `last_at` bound the
-- chunk's `created_at`s and `frames_count` counts its frames, so counting and paging skip whole
-- chunks without reading their frames.
-- No foreign key: with a log file of its own (see migrate.rs) SQLite cannot refer across files;
-- deleting a charger deletes its chunks explicitly. migrate.rs creates the table, its index and
-- the view in the log file from the statements below.
CREATE TABLE ocpp_log_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger_id BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    frames_count INTEGER NOT NULL,
    frames TEXT NOT NULL
);
-- The index carries what paging needs to know of a chunk without reading its frames.
CREATE INDEX ocpp_log_chunks_charger ON ocpp_log_chunks(charger_id, id, first_at, last_at, frames_count);

-- `ocpp_logs` is the main file's table, or the log file's after the split.
INSERT INTO ocpp_log_chunks (id, charger_id, first_at, last_at, frames_count, frames)
SELECT id, charger_id, created_at, created_at, 1,
       json_array(json_array(direction, message_type, action, message_id, payload, created_at))
FROM ocpp_logs ORDER BY id;

DROP TABLE ocpp_logs;

CREATE VIEW ocpp_logs AS
SELECT c.id * 64 + j.key AS id, c.id AS chunk_id, c.charger_id,
       json_extract(j.value, '$[0]') AS direction,
       json_extract(j.value, '$[1]') AS message_type,
       json_extract(j.value, '$[2]') AS action,
       json_extract(j.value, '$[3]') AS message_id,
       json_extract(j.value, '$[4]') AS payload,
       json_extract(j.value, '$[5]') AS created_at,
       c.first_at AS chunk_first_at, c.last_at AS chunk_last_at
FROM ocpp_log_chunks c, json_each(c.frames) j;

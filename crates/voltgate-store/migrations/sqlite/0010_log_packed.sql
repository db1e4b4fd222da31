-- The frame log's chunks are stored compressed: `packed` holds the chunk's frames (those
-- migration 9 kept as JSON text in `frames`) as one LZ4 block, its length prepended as four
-- little-endian bytes; voltgate-store's log_chunks.rs has the layout inside. A chunk of a busy charger's MeterValues shrinks about tenfold, so
-- the log, which was most of the bytes a message wrote, no longer is. Chunks written before
-- keep their text in `frames`; new ones have `frames` = '' and `packed` set. SQL cannot unpack
-- LZ4, so the view `ocpp_logs` goes: the store reads the log through the chunks (history.rs).
-- `ocpp_log_chunks` may be in the attached log file: unqualified names find it there.
ALTER TABLE ocpp_log_chunks ADD COLUMN packed BLOB;
DROP VIEW IF EXISTS ocpp_logs;

-- The frame log's chunks are stored compressed: `packed` holds the chunk's frames (those
-- migration 9 kept as JSON text in `frames`) as one LZ4 block, its length prepended as four
-- little-endian bytes; voltgate-store's log_chunks.rs has the layout inside. Chunks written before keep their text in `frames`; new ones have
-- `frames` = '' and `packed` set. SQL cannot unpack LZ4, so the view `ocpp_logs` goes: the store
-- reads the log through the chunks (history.rs). `packed` is kept in the row itself (MAIN) up to
-- a page, not moved to the TOAST table above 2 kB: a packed chunk is a few kB.
ALTER TABLE ocpp_log_chunks ADD COLUMN packed BYTEA;
ALTER TABLE ocpp_log_chunks ALTER COLUMN packed SET STORAGE MAIN;
DROP VIEW IF EXISTS ocpp_logs;

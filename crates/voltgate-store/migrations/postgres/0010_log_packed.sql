-- The frame log's chunks are stored compressed: `packed` holds the chunk's JSON array of frames
-- (the text migration 9 kept in `frames`) compressed as one LZ4 block, its length prepended as
-- four little-endian bytes. Chunks written before keep their text in `frames`; new ones have
-- `frames` = '' and `packed` set. SQL cannot unpack LZ4, so the view `ocpp_logs` goes: the store
-- reads the log through the chunks (history.rs). `packed` is kept in the row itself (MAIN) up to
-- a page, not moved to the TOAST table above 2 kB: a packed chunk is a few kB.
ALTER TABLE ocpp_log_chunks ADD COLUMN packed BYTEA;
ALTER TABLE ocpp_log_chunks ALTER COLUMN packed SET STORAGE MAIN;
DROP VIEW IF EXISTS ocpp_logs;

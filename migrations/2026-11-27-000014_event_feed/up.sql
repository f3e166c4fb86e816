-- The transaction that recorded each event. The REST feed pages in (xid, seq) order and shows
-- an event only once every transaction older than the oldest still running has ended, so a
-- client that continues from its cursor never misses an event committed late.
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_org_feed ON events (org_id, xid, seq);

-- An organization's runs, newest first: the run history of /o/{org}/runs, whatever the filter.
CREATE INDEX runs_org_queued ON runs (org_id, queued_at DESC, id DESC);

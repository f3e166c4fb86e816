DROP INDEX runs_org_queued;

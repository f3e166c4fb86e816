DROP INDEX runs_running;

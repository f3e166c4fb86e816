DROP TABLE events;
DROP TABLE workflow_versions;
DROP TABLE workflows;
DROP TABLE sign_in_failures;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;

DROP TABLE alert_acknowledgements;

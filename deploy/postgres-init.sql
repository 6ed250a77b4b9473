-- One database per service: each service owns its data.
CREATE DATABASE lscb_indicators;
CREATE DATABASE lscb_audits;
CREATE DATABASE lscb_training;
CREATE DATABASE lscb_finance;
CREATE DATABASE lscb_aggregator;

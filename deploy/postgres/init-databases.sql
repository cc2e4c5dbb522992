-- One PostgreSQL database per Rapport service.
-- Run by the postgres image (/docker-entrypoint-initdb.d/) on the first start of an empty data
-- directory, as POSTGRES_USER, which therefore owns the databases.
CREATE DATABASE contact;
CREATE DATABASE complaints;
CREATE DATABASE scoring;
CREATE DATABASE gateway;

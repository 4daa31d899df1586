"""SQLAlchemy models, sessions, migrations and the queries the views need."""
